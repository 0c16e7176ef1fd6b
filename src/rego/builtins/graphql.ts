// graphql.parse, parse_query, parse_schema, parse_and_verify, is_valid and schema_is_valid
// (https://www.openpolicyagent.org/docs/policy-reference/builtins/graphql), on the `graphql`
// package's parser and validator. OPA returns the AST of its gqlparser fork as JSON with
// positions, nulls and empty lists/objects pruned, and field names as Go spells them; the
// graphql-js AST is mapped onto that shape here (gqlast.go: QueryDocument, SchemaDocument,
// Value kinds Variable=0 … Object=9). As in OPA, a schema is validated together with the
// built-in scalars and directives, and a query against such a schema.
import {
  buildASTSchema,
  Kind,
  parse,
  validate,
  validateSchema,
  visit,
  type ConstValueNode,
  type DefinitionNode,
  type DirectiveNode,
  type DocumentNode,
  type FieldDefinitionNode,
  type InputValueDefinitionNode,
  type SelectionNode,
  type TypeNode,
  type ValueNode,
  type VariableDefinitionNode,
} from 'graphql';
import { isObj, isStr } from './values.ts';
import { printQueryJson, printSchemaJson } from './graphql-print.ts';

type J = Record<string, unknown>;

/** Adds `v` unless it is null/undefined or an empty list (OPA's pruning). */
function put(o: J, k: string, v: unknown): J {
  if (v === undefined || v === null) return o;
  if (Array.isArray(v) && v.length === 0) return o;
  o[k] = v;
  return o;
}

function type(t: TypeNode): J {
  if (t.kind === Kind.NON_NULL_TYPE) return { ...type(t.type), NonNull: true };
  if (t.kind === Kind.LIST_TYPE) return { Elem: type(t.type), NamedType: '', NonNull: false };
  return { NamedType: t.name.value, NonNull: false };
}

function value(v: ValueNode | ConstValueNode): J {
  const base = (kind: number, raw: string): J => ({
    ExpectedTypeHasDefault: false,
    Kind: kind,
    Raw: raw,
  });
  switch (v.kind) {
    case Kind.VARIABLE:
      return base(0, v.name.value);
    case Kind.INT:
      return base(1, v.value);
    case Kind.FLOAT:
      return base(2, v.value);
    case Kind.STRING:
      return base(v.block ? 4 : 3, v.value);
    case Kind.BOOLEAN:
      return base(5, String(v.value));
    case Kind.NULL:
      return base(6, 'null');
    case Kind.ENUM:
      return base(7, v.value);
    case Kind.LIST:
      return put(
        base(8, ''),
        'Children',
        v.values.map((x) => ({ Name: '', Value: value(x) })),
      );
    case Kind.OBJECT:
      return put(
        base(9, ''),
        'Children',
        v.fields.map((f) => ({ Name: f.name.value, Value: value(f.value) })),
      );
  }
}

const directives = (ds: readonly DirectiveNode[] | undefined) =>
  (ds ?? []).map((d) =>
    put(
      { Location: '', Name: d.name.value },
      'Arguments',
      (d.arguments ?? []).map((a) => ({ Name: a.name.value, Value: value(a.value) })),
    ),
  );

function selections(ss: readonly SelectionNode[] | undefined): J[] {
  return (ss ?? []).map((s) => {
    if (s.kind === Kind.FIELD) {
      const o: J = { Alias: s.alias?.value ?? s.name.value, Name: s.name.value };
      put(
        o,
        'Arguments',
        (s.arguments ?? []).map((a) => ({ Name: a.name.value, Value: value(a.value) })),
      );
      put(o, 'Directives', directives(s.directives));
      return put(o, 'SelectionSet', selections(s.selectionSet?.selections));
    }
    if (s.kind === Kind.FRAGMENT_SPREAD) {
      return put({ Name: s.name.value }, 'Directives', directives(s.directives));
    }
    const o: J = { TypeCondition: s.typeCondition?.name.value ?? '' };
    put(o, 'Directives', directives(s.directives));
    return put(o, 'SelectionSet', selections(s.selectionSet.selections));
  });
}

function variables(vs: readonly VariableDefinitionNode[] | undefined): J[] {
  return (vs ?? []).map((v) => {
    const o: J = { Type: type(v.type), Used: false, Variable: v.variable.name.value };
    if (v.defaultValue) o.DefaultValue = value(v.defaultValue);
    return put(o, 'Directives', directives(v.directives));
  });
}

function queryJson(doc: DocumentNode): J {
  const ops: J[] = [];
  const frags: J[] = [];
  for (const d of doc.definitions) {
    if (d.kind === Kind.OPERATION_DEFINITION) {
      const o: J = { Name: d.name?.value ?? '', Operation: d.operation };
      put(o, 'VariableDefinitions', variables(d.variableDefinitions));
      put(o, 'Directives', directives(d.directives));
      ops.push(put(o, 'SelectionSet', selections(d.selectionSet.selections)));
    } else if (d.kind === Kind.FRAGMENT_DEFINITION) {
      const o: J = { Name: d.name.value, TypeCondition: d.typeCondition.name.value };
      put(o, 'VariableDefinition', variables(d.variableDefinitions));
      put(o, 'Directives', directives(d.directives));
      frags.push(put(o, 'SelectionSet', selections(d.selectionSet.selections)));
    }
  }
  return put(put({}, 'Operations', ops), 'Fragments', frags);
}

function inputValue(a: InputValueDefinitionNode): J {
  const o: J = { Description: a.description?.value ?? '', Name: a.name.value, Type: type(a.type) };
  if (a.defaultValue) o.DefaultValue = value(a.defaultValue);
  return put(o, 'Directives', directives(a.directives));
}

function field(f: FieldDefinitionNode): J {
  const o: J = { Description: f.description?.value ?? '', Name: f.name.value, Type: type(f.type) };
  put(o, 'Arguments', (f.arguments ?? []).map(inputValue));
  return put(o, 'Directives', directives(f.directives));
}

const TYPE_KINDS: Record<string, string> = {
  [Kind.SCALAR_TYPE_DEFINITION]: 'SCALAR',
  [Kind.SCALAR_TYPE_EXTENSION]: 'SCALAR',
  [Kind.OBJECT_TYPE_DEFINITION]: 'OBJECT',
  [Kind.OBJECT_TYPE_EXTENSION]: 'OBJECT',
  [Kind.INTERFACE_TYPE_DEFINITION]: 'INTERFACE',
  [Kind.INTERFACE_TYPE_EXTENSION]: 'INTERFACE',
  [Kind.UNION_TYPE_DEFINITION]: 'UNION',
  [Kind.UNION_TYPE_EXTENSION]: 'UNION',
  [Kind.ENUM_TYPE_DEFINITION]: 'ENUM',
  [Kind.ENUM_TYPE_EXTENSION]: 'ENUM',
  [Kind.INPUT_OBJECT_TYPE_DEFINITION]: 'INPUT_OBJECT',
  [Kind.INPUT_OBJECT_TYPE_EXTENSION]: 'INPUT_OBJECT',
};

function typeDef(d: DefinitionNode): J {
  const n = d as unknown as {
    description?: { value: string };
    name: { value: string };
    directives?: readonly DirectiveNode[];
    interfaces?: readonly { name: { value: string } }[];
    fields?: readonly (FieldDefinitionNode | InputValueDefinitionNode)[];
    types?: readonly { name: { value: string } }[];
    values?: readonly {
      description?: { value: string };
      name: { value: string };
      directives?: readonly DirectiveNode[];
    }[];
  };
  const o: J = {
    BuiltIn: false,
    Description: n.description?.value ?? '',
    Kind: TYPE_KINDS[d.kind],
    Name: n.name.value,
  };
  put(o, 'Directives', directives(n.directives));
  put(
    o,
    'Interfaces',
    (n.interfaces ?? []).map((i) => i.name.value),
  );
  put(
    o,
    'Fields',
    (n.fields ?? []).map((f) =>
      f.kind === Kind.FIELD_DEFINITION ? field(f) : inputValue(f as InputValueDefinitionNode),
    ),
  );
  put(
    o,
    'Types',
    (n.types ?? []).map((t) => t.name.value),
  );
  put(
    o,
    'EnumValues',
    (n.values ?? []).map((v) =>
      put(
        { Description: v.description?.value ?? '', Name: v.name.value },
        'Directives',
        directives(v.directives),
      ),
    ),
  );
  return o;
}

function schemaJson(doc: DocumentNode): J {
  const defs: J[] = [];
  const exts: J[] = [];
  const schema: J[] = [];
  const schemaExt: J[] = [];
  const dirs: J[] = [];
  for (const d of doc.definitions) {
    if (d.kind === Kind.SCHEMA_DEFINITION || d.kind === Kind.SCHEMA_EXTENSION) {
      const o: J = {
        Description: (d as { description?: { value: string } }).description?.value ?? '',
      };
      put(o, 'Directives', directives(d.directives));
      put(
        o,
        'OperationTypes',
        (d.operationTypes ?? []).map((t) => ({ Operation: t.operation, Type: t.type.name.value })),
      );
      (d.kind === Kind.SCHEMA_DEFINITION ? schema : schemaExt).push(o);
    } else if (d.kind === Kind.DIRECTIVE_DEFINITION) {
      const o: J = { Description: d.description?.value ?? '', IsRepeatable: d.repeatable };
      put(o, 'Arguments', (d.arguments ?? []).map(inputValue));
      o.Locations = d.locations.map((l) => l.value);
      o.Name = d.name.value;
      dirs.push(o);
    } else if (d.kind in TYPE_KINDS) {
      (d.kind.endsWith('Extension') ? exts : defs).push(typeDef(d));
    }
  }
  const out: J = {};
  put(out, 'Schema', schema);
  put(out, 'SchemaExtension', schemaExt);
  put(out, 'Directives', dirs);
  put(out, 'Definitions', defs);
  return put(out, 'Extensions', exts);
}

const EXECUTABLE = new Set<string>([Kind.OPERATION_DEFINITION, Kind.FRAGMENT_DEFINITION]);

/** A query document: executable definitions only, as gqlparser's ParseQuery accepts
 *  (fragment variable definitions included; empty selection sets, fragment spread arguments
 *  and descriptions on operations are not gqlparser syntax). */
function parseQueryDoc(src: string): DocumentNode | undefined {
  if (src.trim() === '') return { kind: Kind.DOCUMENT, definitions: [] };
  let doc: DocumentNode;
  try {
    doc = parse(src, { noLocation: true, experimentalFragmentArguments: true });
  } catch {
    return undefined;
  }
  if (!doc.definitions.every((d) => EXECUTABLE.has(d.kind))) return undefined;
  let ok = true;
  visit(doc, {
    enter(node) {
      if (node.kind === Kind.SELECTION_SET && node.selections.length === 0) ok = false;
      if (node.kind === Kind.FRAGMENT_SPREAD && (node.arguments?.length ?? 0) > 0) ok = false;
      if (
        (node.kind === Kind.OPERATION_DEFINITION || node.kind === Kind.FRAGMENT_DEFINITION) &&
        node.description
      )
        ok = false;
    },
  });
  return ok ? doc : undefined;
}

/** A schema document: type system definitions and extensions only. */
function parseSchemaDoc(src: string): DocumentNode | undefined {
  if (src.trim() === '') return { kind: Kind.DOCUMENT, definitions: [] };
  try {
    const doc = parse(src, { noLocation: true });
    return doc.definitions.some((d) => EXECUTABLE.has(d.kind)) ? undefined : doc;
  } catch {
    return undefined;
  }
}

/** Only strings are parsed here; an AST object argument (which OPA also accepts) is
 *  re-printed from its gqlparser shape first (graphql-print.ts). */
function queryArg(v: unknown): DocumentNode | undefined {
  if (isStr(v)) return parseQueryDoc(v);
  if (isObj(v)) {
    const src = printQueryJson(v);
    return src === undefined ? undefined : parseQueryDoc(src);
  }
  return undefined;
}

function schemaArg(v: unknown): DocumentNode | undefined {
  if (isStr(v)) return parseSchemaDoc(v);
  if (isObj(v)) {
    const src = printSchemaJson(v);
    return src === undefined ? undefined : parseSchemaDoc(src);
  }
  return undefined;
}

/**
 * gqlparser's schema loading, which OPA uses, differs from graphql-js's in two ways that the
 * builtins keep: an extension of a type the document never defines defines it, and a schema
 * needs no Query root type (only a query validated against it needs one).
 */
function buildSchema(doc: DocumentNode) {
  const defined = new Set<string>();
  for (const d of doc.definitions) {
    if (d.kind in TYPE_KINDS && !d.kind.endsWith('Extension')) {
      defined.add((d as unknown as { name: { value: string } }).name.value);
    }
  }
  const definitions = doc.definitions.map((d) => {
    if (!(d.kind in TYPE_KINDS) || !d.kind.endsWith('Extension')) return d;
    const n = (d as unknown as { name: { value: string } }).name.value;
    if (defined.has(n)) return d;
    defined.add(n);
    return { ...d, kind: d.kind.replace('Extension', 'Definition') } as DefinitionNode;
  });
  try {
    const schema = buildASTSchema({ ...doc, definitions });
    const errors = validateSchema(schema).filter(
      (e) => !/^Query root type must be provided/.test(e.message),
    );
    return errors.length === 0 ? schema : undefined;
  } catch {
    return undefined;
  }
}

function verify(q: unknown, s: unknown): [DocumentNode, DocumentNode] | undefined {
  const query = queryArg(q);
  if (!query) return undefined;
  const sdoc = schemaArg(s);
  if (!sdoc) return undefined;
  const schema = buildSchema(sdoc);
  if (!schema) return undefined;
  // An empty query has nothing to check (graphql-js would first insist on a Query root).
  if (query.definitions.length === 0) return [query, sdoc];
  try {
    return validate(schema, query).length === 0 ? [query, sdoc] : undefined;
  } catch {
    return undefined;
  }
}

export const graphqlBuiltins = {
  'graphql.parse_query': (q: unknown) => {
    const doc = isStr(q) ? parseQueryDoc(q) : undefined;
    return doc && queryJson(doc);
  },
  'graphql.parse_schema': (s: unknown) => {
    const doc = isStr(s) ? parseSchemaDoc(s) : undefined;
    return doc && schemaJson(doc);
  },
  'graphql.parse': (q: unknown, s: unknown) => {
    const ok = verify(q, s);
    return ok && [queryJson(ok[0]), schemaJson(ok[1])];
  },
  'graphql.parse_and_verify': (q: unknown, s: unknown) => {
    const ok = verify(q, s);
    return ok ? [true, queryJson(ok[0]), schemaJson(ok[1])] : [false, {}, {}];
  },
  'graphql.is_valid': (q: unknown, s: unknown) => verify(q, s) !== undefined,
  'graphql.schema_is_valid': (s: unknown) => {
    const doc = schemaArg(s);
    return doc !== undefined && buildSchema(doc) !== undefined;
  },
};
