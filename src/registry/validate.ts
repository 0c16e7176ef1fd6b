// Validation of upstream tool definitions against the MCP schema of the revision the upstream
// negotiated, and of call arguments against a tool's `inputSchema`.
//
// A tool is accepted when (MCP 2025-11-25 "Tools"):
//   - it matches the revision's `Tool` definition (tool-schemas.json, extracted from the spec's
//     schema.json for 2025-03-26, 2025-06-18, 2025-11-25 and 2026-07-28);
//   - its name is 1–128 characters of [A-Za-z0-9_.-] ("Tool names", 2025-11-25) and unique
//     within the upstream's list;
//   - `inputSchema` is an object JSON Schema that compiles, and `outputSchema`, when present,
//     too ("inputSchema … MUST be a valid JSON Schema object (not null)"; schemas without
//     `$schema` are JSON Schema 2020-12 per "JSON Schema Usage").
// Schemas are compiled with ajv: `ajv/dist/2020` by default, the draft-07 class when a schema
// declares draft-07 (the only other dialect the spec names). Formats are not asserted (JSON
// Schema 2020-12 §7.2: format is an annotation by default), so unknown formats never fail.

import { Ajv2020 } from 'ajv/dist/2020.js';
import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';
import toolSchemas from './tool-schemas.json' with { type: 'json' };

export const REVISIONS = ['2025-03-26', '2025-06-18', '2025-11-25', '2026-07-28'] as const;
export type Revision = (typeof REVISIONS)[number];
/** Revisions before 2025-03-26 (2024-11-05) have the same Tool shape as 2025-03-26 minus
 * annotations; they are checked against the oldest schema we carry. */
export const DEFAULT_REVISION: Revision = '2025-11-25';

export const TOOL_NAME = /^[A-Za-z0-9_.-]{1,128}$/;

const DRAFT7 = /^https?:\/\/json-schema\.org\/draft-07\/schema#?$/;

const ajvOpts = { strict: false, allErrors: false, validateFormats: false } as const;
const ajv2020 = new Ajv2020(ajvOpts);
const ajv7 = new Ajv(ajvOpts);

/** The spec's own Tool schemas, compiled once per revision. */
const toolValidators = new Map<Revision, ValidateFunction>();
function toolValidator(rev: Revision): ValidateFunction {
  let v = toolValidators.get(rev);
  if (!v) {
    const schema = (toolSchemas as unknown as Record<string, Record<string, unknown>>)[rev];
    // The spec's schemas are draft-07 up to 2025-06-18 and 2020-12 afterwards.
    v = (DRAFT7.test(String(schema.$schema)) ? ajv7 : ajv2020).compile(schema);
    toolValidators.set(rev, v);
  }
  return v;
}

export function revisionOf(protocolVersion: string | undefined): Revision {
  if (protocolVersion && (REVISIONS as readonly string[]).includes(protocolVersion))
    return protocolVersion as Revision;
  if (protocolVersion && protocolVersion < REVISIONS[0]) return REVISIONS[0];
  return DEFAULT_REVISION;
}

/** An ajv error as "/a/b: message", the path naming the failing member (JSON Pointer). */
export function describeError(e: ErrorObject): { path: string; message: string } {
  let path = e.instancePath;
  const p = e.params as Record<string, unknown>;
  if (e.keyword === 'required') path += `/${String(p.missingProperty)}`;
  else if (e.keyword === 'additionalProperties') path += `/${String(p.additionalProperty)}`;
  else if (e.keyword === 'unevaluatedProperties') path += `/${String(p.unevaluatedProperty)}`;
  return { path: path || '/', message: e.message ?? e.keyword };
}

const compiled = new Map<string, ValidateFunction>();
/** Upstreams re-list on every refresh; equal schemas share one compiled function. */
const MAX_COMPILED = 50_000;

/** Compiles a tool's JSON Schema with the dialect it declares (2020-12 when silent). */
export function compileSchema(schema: unknown): ValidateFunction {
  const key = JSON.stringify(schema);
  const hit = compiled.get(key);
  if (hit) return hit;
  const { $id: _id, $schema, ...rest } = schema as Record<string, unknown>;
  // ajv registers a schema's $id globally, so the next tool (or a changed version of the same
  // tool) reusing it would clash: compile without it. A dialect other than draft-07 or
  // 2020-12 is compiled as 2020-12, the spec's default.
  const draft7 = typeof $schema === 'string' && DRAFT7.test($schema);
  const a = draft7 ? ajv7 : ajv2020;
  const v = a.compile(rest);
  // Keep ajv's own cache (keyed by schema object) from growing with every refresh.
  a.removeSchema(rest);
  if (compiled.size >= MAX_COMPILED) compiled.clear();
  compiled.set(key, v);
  return v;
}

export interface ToolProblem {
  name: string;
  reason: string;
}

export interface CheckedTool {
  def: { name: string; inputSchema: unknown; outputSchema?: unknown };
  /** The compiled inputSchema, for argument validation. */
  input: ValidateFunction;
}

/**
 * Splits an upstream's tool list into accepted tools and excluded ones with the reason. The
 * list is judged as a whole because uniqueness is a property of the list: every tool sharing a
 * duplicated name is excluded (which one the upstream means is unknowable).
 */
export function checkTools(
  tools: ReadonlyArray<Record<string, unknown>>,
  rev: Revision,
): { ok: CheckedTool[]; invalid: ToolProblem[] } {
  const counts = new Map<string, number>();
  for (const t of tools) counts.set(String(t.name), (counts.get(String(t.name)) ?? 0) + 1);
  const ok: CheckedTool[] = [];
  const invalid: ToolProblem[] = [];
  const spec = toolValidator(rev);
  for (const t of tools) {
    const name = String(t.name);
    const bad = (reason: string) => void invalid.push({ name, reason });
    if (typeof t.name !== 'string' || !TOOL_NAME.test(t.name)) {
      bad('invalid name: must be 1-128 characters of [A-Za-z0-9_.-]');
      continue;
    }
    if ((counts.get(name) ?? 0) > 1) {
      bad('duplicate tool name');
      continue;
    }
    if (!spec(t)) {
      const e = describeError(spec.errors![0]);
      bad(`does not match the MCP ${rev} Tool schema at ${e.path}: ${e.message}`);
      continue;
    }
    let input: ValidateFunction;
    try {
      input = compileSchema(t.inputSchema);
    } catch (e) {
      bad(`inputSchema is not a valid JSON Schema: ${(e as Error).message}`);
      continue;
    }
    if (t.outputSchema !== undefined) {
      const out = t.outputSchema as { type?: unknown } | null;
      if (!out || typeof out !== 'object' || out.type !== 'object') {
        bad('outputSchema must be an object JSON Schema with type "object"');
        continue;
      }
      try {
        compileSchema(out);
      } catch (e) {
        bad(`outputSchema is not a valid JSON Schema: ${(e as Error).message}`);
        continue;
      }
    }
    ok.push({ def: t as CheckedTool['def'], input });
  }
  return { ok, invalid };
}

export type ArgumentCheck = { ok: true } | { ok: false; path: string; message: string };

/** Runs a compiled inputSchema over call arguments (absent arguments are `{}`). */
export function runInputSchema(v: ValidateFunction, args: unknown): ArgumentCheck {
  if (v(args ?? {})) return { ok: true };
  return { ok: false, ...describeError(v.errors![0]) };
}
