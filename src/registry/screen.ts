// Description screening: tool metadata is text a model reads as instructions, so a hostile
// upstream can hide directives in it ("tool poisoning"). The screen flags three kinds of
// markers; it never rewrites anything. What flagged tools cost is the registry's `screening`
// setting: `warn` (shown in the registry and logged) or `hold` (calls denied until approved).
//
// Scanned: the tool's description and title, and every `description`/`title` inside its input
// and output schemas (parameter descriptions reach the model just the same).

export interface ScreenFinding {
  /** Where in the tool definition, as a JSON Pointer. */
  path: string;
  kind: 'hidden-unicode' | 'injection-phrase' | 'length';
  detail: string;
}

/**
 * Characters that render as nothing or reorder text (Unicode TR9 bidi controls, zero-width and
 * invisible formatting, the tag block used for "ASCII smuggling", variation selectors beyond
 * emoji use), so the text a human reviews differs from what the model reads.
 */
const HIDDEN: Array<[RegExp, string]> = [
  [/[\u202A-\u202E\u2066-\u2069\u200E\u200F\u061C]/u, 'bidirectional control character'],
  [/[\u200B-\u200D\u2060-\u2064\uFEFF\u180E\u00AD\u034F]/u, 'zero-width or invisible character'],
  [/[\u{E0000}-\u{E007F}]/u, 'Unicode tag character'],
  [/[\u{E0100}-\u{E01EF}]/u, 'variation selector supplement'],
  [/[\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F]/u, 'control character'],
  [/[\uE000-\uF8FF\u{F0000}-\u{FFFFD}\u{100000}-\u{10FFFD}]/u, 'private-use character'],
];

/** Phrases of prompt-injection write-ups and published tool-poisoning examples. */
const PHRASES: Array<[RegExp, string]> = [
  [
    /\b(ignore|disregard|forget|override)\b[^.\n]{0,40}\b(previous|prior|above|earlier|all|any|other)\b[^.\n]{0,20}\b(instructions?|prompts?|rules|directions|guidelines)\b/i,
    'instruction override',
  ],
  [
    /\b(do not|don't|never)\b[^.\n]{0,30}\b(tell|inform|mention|reveal|show)\b[^.\n]{0,20}\b(the )?user\b/i,
    'concealment from the user',
  ],
  [/<\s*\/?\s*(important|system|instructions?|secret|hidden)\s*>/i, 'pseudo-markup directive'],
  [
    /\b(system prompt|developer message|you are now|new instructions)\b/i,
    'role or prompt manipulation',
  ],
  [
    /\bbefore (using|calling|invoking) (this|any) tool\b[^.\n]{0,60}\b(read|send|call|include|pass)\b/i,
    'hidden precondition',
  ],
  [
    /(~\/\.ssh|\bid_rsa\b|\.aws\/credentials|\/etc\/(passwd|shadow)|\bmcp\.json\b)/i,
    'reference to secrets or config files',
  ],
];

/** Tool descriptions in the spec's examples and common servers are a few sentences; a very
 * long one is where instructions hide. */
export const MAX_DESCRIPTION = 1024;

function scanText(text: string, path: string, out: ScreenFinding[]): void {
  for (const [re, what] of HIDDEN) {
    const m = re.exec(text);
    if (m) {
      const cp = m[0].codePointAt(0)!.toString(16).toUpperCase().padStart(4, '0');
      out.push({ path, kind: 'hidden-unicode', detail: `${what} U+${cp}` });
    }
  }
  for (const [re, what] of PHRASES) {
    const m = re.exec(text);
    if (m) out.push({ path, kind: 'injection-phrase', detail: `${what}: "${m[0].slice(0, 60)}"` });
  }
  if (text.length > MAX_DESCRIPTION)
    out.push({ path, kind: 'length', detail: `${text.length} characters (> ${MAX_DESCRIPTION})` });
}

function walkSchema(node: unknown, path: string, out: ScreenFinding[], depth = 0): void {
  if (depth > 32 || node === null || typeof node !== 'object') return;
  if (Array.isArray(node)) {
    node.forEach((n, i) => walkSchema(n, `${path}/${i}`, out, depth + 1));
    return;
  }
  for (const [k, v] of Object.entries(node as Record<string, unknown>)) {
    const p = `${path}/${k.replace(/~/g, '~0').replace(/\//g, '~1')}`;
    if ((k === 'description' || k === 'title') && typeof v === 'string') scanText(v, p, out);
    else walkSchema(v, p, out, depth + 1);
  }
}

export function screenTool(def: Record<string, unknown>): ScreenFinding[] {
  const out: ScreenFinding[] = [];
  if (typeof def.description === 'string') scanText(def.description, '/description', out);
  if (typeof def.title === 'string') scanText(def.title, '/title', out);
  walkSchema(def.inputSchema, '/inputSchema', out);
  walkSchema(def.outputSchema, '/outputSchema', out);
  return out;
}
