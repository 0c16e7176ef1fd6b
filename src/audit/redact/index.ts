// Public surface of the redaction engine: build a redactor from `audit.redaction` config.
import { BUILTIN_DETECTORS, type Detector } from './patterns.ts';
import { createRedactor, type Redactor } from './redactor.ts';

export { BUILTIN_DETECTORS, type Detector } from './patterns.ts';
export {
  createRedactor,
  replacement,
  countGroups,
  type Redactor,
  type RedactionCounts,
} from './redactor.ts';
export { DEFAULT_FIELD_RULES, compileFieldRules } from './fields.ts';

export interface CustomPattern {
  name: string;
  regex: string;
}

export interface RedactionOptions {
  /** Built-in kinds to run; default all. */
  kinds?: readonly string[];
  patterns?: readonly CustomPattern[];
  fields?: readonly string[];
}

/** Custom patterns come after the built-ins: a built-in kind wins a tie at the same byte. */
export function buildRedactor(opts: RedactionOptions = {}): Redactor {
  const builtins = opts.kinds
    ? BUILTIN_DETECTORS.filter((d) => opts.kinds!.includes(d.kind))
    : BUILTIN_DETECTORS;
  const custom: Detector[] = (opts.patterns ?? []).map((p) => ({
    kind: p.name,
    source: p.regex,
    custom: true,
  }));
  return createRedactor([...builtins, ...custom], opts.fields ?? []);
}
