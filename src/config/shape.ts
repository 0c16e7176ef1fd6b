// A tiny declarative shape checker for warden.yaml. Each node knows how to check a value and
// names the key path at fault ("upstreams[1].tools.create_ticket.scope") so a user fixes the
// right line. Hand-written rather than ajv: the messages must name YAML key paths, not JSON
// pointers, and the shape is small.

import { UserInputError } from '../errors/index.ts';

export type Shape =
  | { kind: 'string'; pattern?: RegExp; hint?: string }
  | { kind: 'int'; min?: number; max?: number }
  | { kind: 'bool' }
  | { kind: 'enum'; values: readonly string[] }
  | { kind: 'list'; item: Shape }
  | { kind: 'map'; value: Shape; key?: RegExp }
  | { kind: 'object'; fields: Record<string, Shape>; required?: readonly string[] }
  | { kind: 'oneOf'; options: readonly Shape[]; label: string }
  /** A section owned by another module, which validates it (and names key paths) itself. */
  | { kind: 'custom'; check: (value: unknown, path: string) => void };

export const str = (pattern?: RegExp, hint?: string): Shape => ({ kind: 'string', pattern, hint });
export const int = (min?: number, max?: number): Shape => ({ kind: 'int', min, max });
export const bool: Shape = { kind: 'bool' };
export const oneOfStr = (...values: string[]): Shape => ({ kind: 'enum', values });
export const list = (item: Shape): Shape => ({ kind: 'list', item });
export const map = (value: Shape, key?: RegExp): Shape => ({ kind: 'map', value, key });
export const obj = (fields: Record<string, Shape>, required: string[] = []): Shape => ({
  kind: 'object',
  fields,
  required,
});
export const either = (label: string, ...options: Shape[]): Shape => ({
  kind: 'oneOf',
  options,
  label,
});

export const custom = (fn: (value: unknown, path: string) => void): Shape => ({
  kind: 'custom',
  check: fn,
});

const typeName = (v: unknown): string =>
  v === null
    ? 'null'
    : Array.isArray(v)
      ? 'a list'
      : typeof v === 'object'
        ? 'a mapping'
        : typeof v;

function fail(path: string, message: string): never {
  throw new UserInputError('CONFIG_INVALID', message, { where: path || '(root)' });
}

const join = (path: string, key: string): string =>
  /^[A-Za-z_][A-Za-z0-9_-]*$/.test(key)
    ? path
      ? `${path}.${key}`
      : key
    : `${path}[${JSON.stringify(key)}]`;

/** Throws UserInputError (code CONFIG_INVALID, `where` = key path) on the first mismatch. */
export function check(shape: Shape, value: unknown, path = ''): void {
  switch (shape.kind) {
    case 'string':
      if (typeof value !== 'string') fail(path, `expected a string, got ${typeName(value)}`);
      if (shape.pattern && !shape.pattern.test(value))
        fail(path, `invalid value ${JSON.stringify(value)}${shape.hint ? ` (${shape.hint})` : ''}`);
      return;
    case 'int':
      if (typeof value !== 'number' || !Number.isInteger(value))
        fail(path, `expected an integer, got ${typeName(value)}`);
      if (shape.min !== undefined && value < shape.min) fail(path, `must be ≥ ${shape.min}`);
      if (shape.max !== undefined && value > shape.max) fail(path, `must be ≤ ${shape.max}`);
      return;
    case 'bool':
      if (typeof value !== 'boolean') fail(path, `expected true or false, got ${typeName(value)}`);
      return;
    case 'enum':
      if (typeof value !== 'string' || !shape.values.includes(value))
        fail(path, `expected one of ${shape.values.join(', ')}, got ${JSON.stringify(value)}`);
      return;
    case 'list':
      if (!Array.isArray(value)) fail(path, `expected a list, got ${typeName(value)}`);
      value.forEach((item, i) => check(shape.item, item, `${path}[${i}]`));
      return;
    case 'map':
      if (value === null || typeof value !== 'object' || Array.isArray(value))
        fail(path, `expected a mapping, got ${typeName(value)}`);
      for (const [k, v] of Object.entries(value)) {
        if (shape.key && !shape.key.test(k))
          fail(join(path, k), `invalid key ${JSON.stringify(k)}`);
        check(shape.value, v, join(path, k));
      }
      return;
    case 'object': {
      if (value === null || typeof value !== 'object' || Array.isArray(value))
        fail(path, `expected a mapping, got ${typeName(value)}`);
      const rec = value as Record<string, unknown>;
      for (const [k, v] of Object.entries(rec)) {
        const field = shape.fields[k];
        if (!field)
          fail(
            join(path, k),
            `unknown key (expected one of: ${Object.keys(shape.fields).join(', ')})`,
          );
        if (v === null || v === undefined) continue; // an empty YAML key means "use the default"
        check(field, v, join(path, k));
      }
      for (const k of shape.required ?? [])
        if (rec[k] === undefined || rec[k] === null) fail(join(path, k), 'required key is missing');
      return;
    }
    case 'custom':
      shape.check(value, path);
      return;
    case 'oneOf': {
      let first: unknown;
      for (const option of shape.options) {
        try {
          check(option, value, path);
          return;
        } catch (e) {
          first ??= e;
        }
      }
      if (shape.options.every((o) => o.kind === 'string' || o.kind === 'list'))
        fail(path, `expected ${shape.label}, got ${typeName(value)}`);
      throw first;
    }
  }
}
