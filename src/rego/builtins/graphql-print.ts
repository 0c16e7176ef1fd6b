// GraphQL source text from an AST in the shape graphql.parse_query / parse_schema return
// (gqlparser's, pruned): OPA's graphql builtins accept such objects in place of strings, and
// printing them lets one parser and validator serve both forms. Returns undefined for a
// value that is not such an AST.
type J = Record<string, unknown>;

const isObj = (v: unknown): v is J => typeof v === 'object' && v !== null && !Array.isArray(v);
const list = (v: unknown): J[] => (Array.isArray(v) ? v.filter(isObj) : []);
const strs = (v: unknown): string[] =>
  Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : [];
const s = (v: unknown): string => (typeof v === 'string' ? v : '');

class NotAst extends Error {}

function name(v: unknown): string {
  const n = s(v);
  if (!/^[_A-Za-z][_0-9A-Za-z]*$/.test(n)) throw new NotAst();
  return n;
}

function type(t: unknown): string {
  if (!isObj(t)) throw new NotAst();
  const inner = isObj(t.Elem) ? `[${type(t.Elem)}]` : name(t.NamedType);
  return t.NonNull === true ? `${inner}!` : inner;
}

function value(v: unknown): string {
  if (!isObj(v)) throw new NotAst();
  const raw = s(v.Raw);
  const kids = list(v.Children);
  switch (v.Kind) {
    case 0:
      return `$${name(raw)}`;
    case 1:
    case 2:
      if (!/^-?\d+(\.\d+)?([eE][+-]?\d+)?$/.test(raw)) throw new NotAst();
      return raw;
    case 3:
    case 4:
      return JSON.stringify(raw);
    case 5:
      if (raw !== 'true' && raw !== 'false') throw new NotAst();
      return raw;
    case 6:
      return 'null';
    case 7:
      return name(raw);
    case 8:
      return `[${kids.map((c) => value(c.Value)).join(', ')}]`;
    case 9:
      return `{${kids.map((c) => `${name(c.Name)}: ${value(c.Value)}`).join(', ')}}`;
    default:
      throw new NotAst();
  }
}

const args = (as: unknown): string => {
  const xs = list(as);
  return xs.length ? `(${xs.map((a) => `${name(a.Name)}: ${value(a.Value)}`).join(', ')})` : '';
};

const dirs = (ds: unknown): string =>
  list(ds)
    .map((d) => ` @${name(d.Name)}${args(d.Arguments)}`)
    .join('');

function selections(ss: unknown): string {
  const xs = list(ss);
  if (xs.length === 0) return '';
  const one = (x: J): string => {
    if ('TypeCondition' in x) {
      const on = s(x.TypeCondition) ? ` on ${name(x.TypeCondition)}` : '';
      return `...${on}${dirs(x.Directives)}${selections(x.SelectionSet)}`;
    }
    if (!('Alias' in x)) return `...${name(x.Name)}${dirs(x.Directives)}`;
    const alias = s(x.Alias) && x.Alias !== x.Name ? `${name(x.Alias)}: ` : '';
    return `${alias}${name(x.Name)}${args(x.Arguments)}${dirs(x.Directives)}${selections(x.SelectionSet)}`;
  };
  return ` { ${xs.map(one).join(' ')} }`;
}

function variables(vs: unknown): string {
  const xs = list(vs);
  if (xs.length === 0) return '';
  const one = (v: J) =>
    `$${name(v.Variable)}: ${type(v.Type)}${v.DefaultValue ? ` = ${value(v.DefaultValue)}` : ''}${dirs(v.Directives)}`;
  return `(${xs.map(one).join(', ')})`;
}

export function printQueryJson(doc: J): string | undefined {
  try {
    const ops = list(doc.Operations).map((o) => {
      const op = s(o.Operation) || 'query';
      if (!['query', 'mutation', 'subscription'].includes(op)) throw new NotAst();
      const n = s(o.Name) ? ` ${name(o.Name)}` : '';
      return `${op}${n}${variables(o.VariableDefinitions)}${dirs(o.Directives)}${selections(o.SelectionSet)}`;
    });
    const frags = list(doc.Fragments).map(
      (f) =>
        `fragment ${name(f.Name)}${variables(f.VariableDefinition)} on ${name(f.TypeCondition)}${dirs(f.Directives)}${selections(f.SelectionSet)}`,
    );
    return [...ops, ...frags].join('\n');
  } catch (e) {
    if (e instanceof NotAst) return undefined;
    throw e;
  }
}

const desc = (d: unknown): string => (s(d) ? `${JSON.stringify(s(d))} ` : '');

function inputValue(a: J): string {
  const def = a.DefaultValue ? ` = ${value(a.DefaultValue)}` : '';
  return `${desc(a.Description)}${name(a.Name)}: ${type(a.Type)}${def}${dirs(a.Directives)}`;
}

function field(f: J): string {
  const as = list(f.Arguments);
  const a = as.length ? `(${as.map(inputValue).join(', ')})` : '';
  return `${desc(f.Description)}${name(f.Name)}${a}: ${type(f.Type)}${dirs(f.Directives)}`;
}

function definition(d: J, extend: boolean): string {
  const head = `${extend ? 'extend ' : desc(d.Description)}`;
  const n = name(d.Name);
  const ds = dirs(d.Directives);
  const fields = list(d.Fields);
  switch (d.Kind) {
    case 'SCALAR':
      return `${head}scalar ${n}${ds}`;
    case 'OBJECT':
    case 'INTERFACE': {
      const kw = d.Kind === 'OBJECT' ? 'type' : 'interface';
      const ifs = strs(d.Interfaces);
      const impl = ifs.length ? ` implements ${ifs.map(name).join(' & ')}` : '';
      const body = fields.length ? ` { ${fields.map(field).join(' ')} }` : '';
      return `${head}${kw} ${n}${impl}${ds}${body}`;
    }
    case 'UNION': {
      const ts = strs(d.Types);
      return `${head}union ${n}${ds}${ts.length ? ` = ${ts.map(name).join(' | ')}` : ''}`;
    }
    case 'ENUM': {
      const vs = list(d.EnumValues);
      const body = vs.length
        ? ` { ${vs.map((v) => `${desc(v.Description)}${name(v.Name)}${dirs(v.Directives)}`).join(' ')} }`
        : '';
      return `${head}enum ${n}${ds}${body}`;
    }
    case 'INPUT_OBJECT': {
      const body = fields.length ? ` { ${fields.map(inputValue).join(' ')} }` : '';
      return `${head}input ${n}${ds}${body}`;
    }
    default:
      throw new NotAst();
  }
}

function schemaDef(d: J, extend: boolean): string {
  const ops = list(d.OperationTypes).map((o) => `${name(o.Operation)}: ${name(o.Type)}`);
  const body = ops.length ? ` { ${ops.join(' ')} }` : '';
  return `${extend ? 'extend ' : desc(d.Description)}schema${dirs(d.Directives)}${body}`;
}

export function printSchemaJson(doc: J): string | undefined {
  try {
    const out = [
      ...list(doc.Schema).map((d) => schemaDef(d, false)),
      ...list(doc.SchemaExtension).map((d) => schemaDef(d, true)),
      ...list(doc.Directives).map((d) => {
        const as = list(d.Arguments);
        const a = as.length ? `(${as.map(inputValue).join(', ')})` : '';
        const rep = d.IsRepeatable === true ? ' repeatable' : '';
        return `${desc(d.Description)}directive @${name(d.Name)}${a}${rep} on ${strs(d.Locations).map(name).join(' | ')}`;
      }),
      ...list(doc.Definitions).map((d) => definition(d, false)),
      ...list(doc.Extensions).map((d) => definition(d, true)),
    ];
    return out.join('\n');
  } catch (e) {
    if (e instanceof NotAst) return undefined;
    throw e;
  }
}
