// graphql.* builtins, called as the SDK calls host builtins. OPA's compliance cases (run by
// `npm run compliance`) fix the exact AST shapes; these check the mapping's edges: AST objects
// accepted in place of strings (re-printed), gqlparser's schema leniencies, and undefined on a
// parse error (OPA's WASM target has no builtin errors).
import { describe, expect, it } from 'vitest';
import { hostBuiltins } from '../../src/rego/builtins/index.ts';

const call = (name: string, ...args: unknown[]) => hostBuiltins[name](...args);
const SCHEMA = 'type Query { user(id: ID!): User }\ntype User { id: ID! name: String @deprecated }';

describe('graphql builtins', () => {
  it('parses a query to the gqlparser-shaped AST, pruned', () => {
    expect(call('graphql.parse_query', 'query Q($id: ID!) { user(id: $id) { n: name } }')).toEqual({
      Operations: [
        {
          Name: 'Q',
          Operation: 'query',
          VariableDefinitions: [
            { Type: { NamedType: 'ID', NonNull: true }, Used: false, Variable: 'id' },
          ],
          SelectionSet: [
            {
              Alias: 'user',
              Name: 'user',
              Arguments: [
                { Name: 'id', Value: { ExpectedTypeHasDefault: false, Kind: 0, Raw: 'id' } },
              ],
              SelectionSet: [{ Alias: 'n', Name: 'name' }],
            },
          ],
        },
      ],
    });
    expect(call('graphql.parse_query', '{')).toBeUndefined();
    expect(call('graphql.parse_query', '{ a { } }')).toBeUndefined();
  });

  it('validates queries against schemas, accepting either as AST objects', () => {
    const q = '{ user(id: "1") { id name } }';
    expect(call('graphql.is_valid', q, SCHEMA)).toBe(true);
    expect(call('graphql.is_valid', '{ user { nope } }', SCHEMA)).toBe(false);
    const qAst = call('graphql.parse_query', q);
    const sAst = call('graphql.parse_schema', SCHEMA);
    expect(call('graphql.is_valid', qAst, sAst)).toBe(true);
    const [ok, parsedQ, parsedS] = call('graphql.parse_and_verify', qAst, SCHEMA) as unknown[];
    expect([ok, parsedQ, parsedS]).toEqual([true, qAst, sAst]);
    expect(call('graphql.parse_and_verify', '{ x }', SCHEMA)).toEqual([false, {}, {}]);
    expect(call('graphql.parse', q, SCHEMA)).toEqual([qAst, sAst]);
  });

  it("keeps gqlparser's schema rules: no Query root needed, extensions may define", () => {
    expect(call('graphql.schema_is_valid', 'scalar Hello')).toBe(true);
    expect(call('graphql.schema_is_valid', 'extend type User { id: ID! }')).toBe(true);
    expect(call('graphql.schema_is_valid', 'type A { b: Missing }')).toBe(false);
    expect(call('graphql.schema_is_valid', 42)).toBe(false);
  });
});
