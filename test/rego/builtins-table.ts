// Shared by the builtins test files: call a host builtin the way the opa-wasm SDK does (JSON
// arguments, sets tagged or as sorted arrays) and declare one test per case of a table.
import { expect, it } from 'vitest';
import { decodeResult, hostBuiltins } from '../../src/rego/builtins/index.ts';

export const call = (name: string, ...args: unknown[]): unknown =>
  decodeResult(hostBuiltins[name](...args));

export type Case = [string, unknown[], unknown];

export const table = (cases: Case[]): void => {
  for (const [name, args, want] of cases) {
    it(`${name}(${JSON.stringify(args).slice(1, -1)})`, () =>
      expect(call(name, ...args)).toEqual(want));
  }
};

/** A set as the runtime hands it to host builtins. */
export const set = (...items: unknown[]) => ({ __rego_set__: items });
