// The multi-round-trip tools and prompt of the 2026-07-28 fixture: the input-required-result-*
// scenarios (SEP-2322) of @modelcontextprotocol/conformance 0.2.0-alpha.12. A handler answers
// `input_required` with the requests it needs (elicitation, sampling, roots) and, where the flow
// has to remember something between rounds, a `requestState`; the client retries the same
// request with `inputResponses` and the state echoed back.
//
// `requestState` comes back as attacker-controlled input, so it is HMAC-sealed with the SDK's
// createRequestStateCodec and verified before any handler runs (ServerOptions.requestState.verify
// in server.ts); a tampered or expired state is answered -32602 by the SDK (2026-07-28
// "Multi Round-Trip Requests", server requirements 4–5). The payload also names the tool that
// minted it, so state from one tool cannot be replayed into another.

import { randomBytes } from 'node:crypto';
import {
  ProtocolError,
  ProtocolErrorCode,
  createRequestStateCodec,
  inputRequired,
  inputResponse,
  type CallToolResult,
  type InputRequest,
  type InputRequiredResult,
  type McpServer,
  type RequestStateCodec,
  type ServerContext,
} from '@modelcontextprotocol/server';
import { HARMLESS, NO_ARGS, clientCapabilities, text } from './shared.ts';

export interface StatePayload {
  tool: string;
  round: number;
  name?: string;
}

/**
 * One codec per fixture process: every round of a flow reaches the same process, so a random
 * key suffices (the codec requires ≥ 32 bytes). Bound to the method and the `Mcp-Name` header
 * (the tool or prompt name, which the SDK has checked against the body), so state minted for
 * one tool is rejected by the SDK (-32602) when echoed to another. A 2025-era round has no such
 * header; there the SDK's legacy shim mints and verifies in process, with the same binding.
 */
export function createStateCodec(
  key: Uint8Array = randomBytes(32),
): RequestStateCodec<StatePayload> {
  return createRequestStateCodec<StatePayload>({
    key,
    ttlSeconds: 600,
    bind: (ctx) => `${ctx.mcpReq.method}\0${ctx.http?.req?.headers.get('mcp-name') ?? ''}`,
  });
}

const ask = (message: string, field: string, type: 'string' | 'boolean' = 'string') =>
  inputRequired.elicit({
    message,
    requestedSchema: {
      type: 'object',
      properties: { [field]: type === 'string' ? { type: 'string' } : { type: 'boolean' } },
      required: [field],
    },
  });
const sample = (prompt: string, maxTokens: number) =>
  inputRequired.createMessage({
    messages: [{ role: 'user', content: { type: 'text', text: prompt } }],
    maxTokens,
  });

/** The accepted value of one elicitation field, or undefined (missing, declined, wrong type). */
function accepted(ctx: ServerContext, key: string, field: string, type: string): unknown {
  const r = inputResponse(ctx.mcpReq.inputResponses, key);
  if (r.kind !== 'elicit' || r.action !== 'accept') return undefined;
  const v = r.content?.[field];
  return typeof v === type ? v : undefined;
}

function sampled(ctx: ServerContext, key: string): string | undefined {
  const r = inputResponse(ctx.mcpReq.inputResponses, key);
  if (r.kind !== 'sampling') return undefined;
  const c = r.result.content;
  const block = Array.isArray(c) ? c[0] : c;
  return block?.type === 'text' ? block.text : `[${block?.type ?? 'empty'}]`;
}

function roots(ctx: ServerContext, key: string): string[] | undefined {
  const r = inputResponse(ctx.mcpReq.inputResponses, key);
  return r.kind === 'roots' ? r.roots.map((x) => x.uri) : undefined;
}

/** The verified state of this round (the SDK has checked its MAC already), if it is ours. */
function stateOf(ctx: ServerContext, tool: string): StatePayload | undefined {
  const s = ctx.mcpReq.requestState<StatePayload>();
  if (s === undefined) return undefined;
  if (typeof s !== 'object' || s.tool !== tool)
    throw new ProtocolError(
      ProtocolErrorCode.InvalidParams,
      'requestState belongs to another request',
    );
  return s;
}

type Handler = (
  ctx: ServerContext,
  codec: RequestStateCodec<StatePayload>,
) => Promise<CallToolResult | InputRequiredResult>;

const TOOLS: Record<string, [description: string, run: Handler]> = {
  // Ephemeral flow: no state; a retry without the right response is asked again
  // (input-required-result-missing-input-response, -ignore-extra-params, -validate-input).
  test_input_required_result_elicitation: [
    'Asks for a name (elicitation), then greets',
    async (ctx) => {
      const name = accepted(ctx, 'user_name', 'name', 'string');
      if (name !== undefined) return text(`Hello, ${String(name)}!`);
      return inputRequired({ inputRequests: { user_name: ask('What is your name?', 'name') } });
    },
  ],
  test_input_required_result_sampling: [
    'Asks the client to sample an answer, then returns it',
    async (ctx) => {
      const answer = sampled(ctx, 'capital_question');
      if (answer !== undefined) return text(`LLM response: ${answer}`);
      return inputRequired({
        inputRequests: { capital_question: sample('What is the capital of France?', 100) },
      });
    },
  ],
  test_input_required_result_list_roots: [
    'Asks for the client roots, then lists them',
    async (ctx) => {
      const got = roots(ctx, 'client_roots');
      if (got !== undefined) return text(`Roots: ${got.join(', ') || '(none)'}`);
      return inputRequired({ inputRequests: { client_roots: inputRequired.listRoots() } });
    },
  ],
  test_input_required_result_request_state: [
    'Asks for a confirmation with requestState; completes with "state-ok" once both return',
    (ctx, codec) => confirmFlow(ctx, codec, 'test_input_required_result_request_state'),
  ],
  test_input_required_result_tampered_state: [
    'Like request_state; a state that fails verification is rejected (-32602)',
    (ctx, codec) => confirmFlow(ctx, codec, 'test_input_required_result_tampered_state'),
  ],
  test_input_required_result_multiple_inputs: [
    'Asks for an elicitation, a sampling and the roots at once',
    async (ctx, codec) => {
      const tool = 'test_input_required_result_multiple_inputs';
      const state = stateOf(ctx, tool);
      const [name, greeting, list] = [
        accepted(ctx, 'user_name', 'name', 'string'),
        sampled(ctx, 'greeting'),
        roots(ctx, 'client_roots'),
      ];
      if (state && name !== undefined && greeting !== undefined && list !== undefined)
        return text(`name=${String(name)}; greeting=${greeting}; roots=${list.join(', ')}`);
      // Ask again for exactly what is still missing (SEP-2322: re-request, do not fail).
      const inputRequests: Record<string, InputRequest> = {};
      if (!state || name === undefined) inputRequests.user_name = ask('What is your name?', 'name');
      if (!state || greeting === undefined)
        inputRequests.greeting = sample('Generate a greeting', 50);
      if (!state || list === undefined) inputRequests.client_roots = inputRequired.listRoots();
      return inputRequired({
        inputRequests,
        requestState: await codec.mint({ tool, round: 1 }, ctx),
      });
    },
  ],
  test_input_required_result_multi_round: [
    'Three rounds: a name, then a colour, then the result; the state changes every round',
    async (ctx, codec) => {
      const tool = 'test_input_required_result_multi_round';
      const state = stateOf(ctx, tool);
      const name = accepted(ctx, 'step1', 'name', 'string');
      const color = accepted(ctx, 'step2', 'color', 'string');
      if (state?.round === 2 && color !== undefined)
        return text(`${state.name ?? '?'} likes ${String(color)}`);
      if (state?.round === 1 && name !== undefined)
        return inputRequired({
          inputRequests: { step2: ask('Step 2: What is your favorite color?', 'color') },
          requestState: await codec.mint({ tool, round: 2, name: String(name) }, ctx),
        });
      return inputRequired({
        inputRequests: { step1: ask('Step 1: What is your name?', 'name') },
        requestState: await codec.mint({ tool, round: 1 }, ctx),
      });
    },
  ],
  // Only what the request's envelope declares may be asked for (SEP-2322 §Capabilities).
  test_input_required_result_capabilities: [
    'Asks only for the kinds of input the client declared',
    async (ctx) => {
      if (ctx.mcpReq.inputResponses) return text('Input received');
      const caps = clientCapabilities(ctx);
      const inputRequests: Record<string, InputRequest> = {};
      if (caps.sampling) inputRequests.summary = sample('Summarize the conformance run', 50);
      if (caps.elicitation) inputRequests.approval = ask('Approve?', 'ok', 'boolean');
      if (caps.roots) inputRequests.client_roots = inputRequired.listRoots();
      if (Object.keys(inputRequests).length === 0)
        return text('The client declared no input capability; nothing to ask');
      return inputRequired({ inputRequests });
    },
  ],
};

async function confirmFlow(
  ctx: ServerContext,
  codec: RequestStateCodec<StatePayload>,
  tool: string,
): Promise<CallToolResult | InputRequiredResult> {
  const state = stateOf(ctx, tool);
  const ok = accepted(ctx, 'confirm', 'ok', 'boolean');
  if (state && ok !== undefined) return text(`state-ok: confirmed=${String(ok)}`);
  return inputRequired({
    inputRequests: { confirm: ask('Please confirm', 'ok', 'boolean') },
    requestState: await codec.mint({ tool, round: 1 }, ctx),
  });
}

export const MRTR_TOOLS = Object.keys(TOOLS);
export const MRTR_PROMPT = 'test_input_required_result_prompt';

export function registerMrtr(server: McpServer, codec: RequestStateCodec<StatePayload>): void {
  for (const [name, [description, run]] of Object.entries(TOOLS))
    server.registerTool(
      name,
      { description, inputSchema: NO_ARGS, annotations: HARMLESS },
      (_args, ctx) => run(ctx, codec),
    );
  // input-required-result-non-tool-request: MRTR on prompts/get too.
  server.registerPrompt(
    MRTR_PROMPT,
    { description: 'Asks for context (elicitation) before rendering' },
    (ctx) => {
      const context = accepted(ctx, 'user_context', 'context', 'string');
      if (context === undefined)
        return inputRequired({
          inputRequests: { user_context: ask('What context should the prompt use?', 'context') },
        });
      return {
        messages: [
          { role: 'user', content: { type: 'text', text: `Context: ${String(context)}` } },
        ],
      };
    },
  );
}
