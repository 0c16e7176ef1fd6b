// json.verify_schema / json.match_schema (OPA topdown/jsonschema.go). OPA validates with
// gojsonschema (drafts 4, 6 and 7); here ajv (draft-07) does the validation and its errors are
// restated in gojsonschema's shape and wording ({error, type, field, desc}), which is what
// policies see and compare against.
import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';
import { isArr, isNum, isObj, isStr, keyOf } from './values.ts';

type Fn = (...args: any[]) => unknown;

const ajv = new Ajv({ allErrors: true, strict: false, validateFormats: false });

/** Compiled validators by schema text; policies pass the same few schemas over and over. */
const compiled = new Map<string, ValidateFunction>();
const MAX_CACHED = 256;

const VALID_TYPES = ['array', 'boolean', 'integer', 'number', 'null', 'object', 'string'];

/** gojsonschema's message for the commonest schema error, an unknown primitive type. */
function badTypeIn(schema: unknown): string | undefined {
  if (isArr(schema)) return schema.map(badTypeIn).find((x) => x !== undefined);
  if (!isObj(schema)) return undefined;
  const types = isArr(schema.type) ? schema.type : [schema.type];
  const bad = types.find((t) => isStr(t) && !VALID_TYPES.includes(t));
  if (isStr(bad)) return bad;
  return Object.values(schema)
    .map(badTypeIn)
    .find((x) => x !== undefined);
}

/** Compiles a schema (object or JSON text); throws with gojsonschema-like text when invalid. */
function compile(schema: unknown): ValidateFunction {
  const doc: unknown = isStr(schema) ? JSON.parse(schema) : schema;
  if (!isObj(doc) && typeof doc !== 'boolean') throw new Error('schema must be an object');
  const key = keyOf(doc);
  const hit = compiled.get(key);
  if (hit) return hit;
  const bad = badTypeIn(doc);
  if (bad !== undefined) {
    throw new Error(
      `has a primitive type that is NOT VALID -- given: /${bad}/ Expected valid values are:[${VALID_TYPES.join(' ')}]`,
    );
  }
  // Draft-04/06 documents declare their own $schema, which ajv's draft-07 build does not
  // register; their keywords are validated the same way, so the declaration is dropped.
  const body = isObj(doc) && isStr(doc.$schema) ? { ...doc, $schema: undefined } : doc;
  const fn = ajv.compile(body as object);
  // ajv registers every compiled schema (and its $id); the validator stays usable without the
  // registration, and dropping it lets another schema reuse the $id.
  ajv.removeSchema(body as object);
  if (compiled.size >= MAX_CACHED) compiled.clear();
  compiled.set(key, fn);
  return fn;
}

/** gojsonschema's type names: whole numbers are "integer". */
function typeName(v: unknown): string {
  if (v === null) return 'null';
  if (isArr(v)) return 'array';
  if (isNum(v)) return Number.isInteger(v) ? 'integer' : 'number';
  return typeof v;
}

function valueAt(doc: unknown, pointer: string): unknown {
  let v = doc;
  for (const part of pointer.split('/').slice(1)) {
    const k = part.replace(/~1/g, '/').replace(/~0/g, '~');
    v = isArr(v) ? v[Number(k)] : isObj(v) ? v[k] : undefined;
  }
  return v;
}

/** One ajv error as a gojsonschema ResultError: type, field ("(root)" or dotted path), desc. */
function restate(e: ErrorObject, doc: unknown): Record<string, string> {
  const p = e.params as Record<string, any>;
  let field = e.instancePath === '' ? '(root)' : e.instancePath.slice(1).split('/').join('.');
  const said = (type: string, desc: string) => ({ error: `${field}: ${desc}`, type, field, desc });
  switch (e.keyword) {
    case 'type':
      return said(
        'invalid_type',
        `Invalid type. Expected: ${[p.type].flat().join(',')}, given: ${typeName(valueAt(doc, e.instancePath))}`,
      );
    case 'required':
      return said('required', `${p.missingProperty} is required`);
    case 'additionalProperties':
      return said(
        'additional_property_not_allowed',
        `Additional property ${p.additionalProperty} is not allowed`,
      );
    case 'enum':
      return said(
        'enum',
        `${field} must be one of the following: ${(p.allowedValues as unknown[]).map((v) => JSON.stringify(v)).join(', ')}`,
      );
    case 'const':
      return said('const', `${field} does not match: ${JSON.stringify(p.allowedValue)}`);
    case 'minimum':
    case 'maximum':
    case 'exclusiveMinimum':
    case 'exclusiveMaximum': {
      const words: Record<string, [string, string]> = {
        '>=': ['number_gte', 'greater than or equal to'],
        '<=': ['number_lte', 'less than or equal to'],
        '>': ['number_gt', 'greater than'],
        '<': ['number_lt', 'less than'],
      };
      const [type, text] = words[p.comparison as string];
      return said(type, `Must be ${text} ${p.limit}`);
    }
    case 'minLength':
      return said('string_gte', `String length must be greater than or equal to ${p.limit}`);
    case 'maxLength':
      return said('string_lte', `String length must be less than or equal to ${p.limit}`);
    case 'pattern':
      return said('pattern', `Does not match pattern '${p.pattern}'`);
    case 'minItems':
      return said('array_min_items', `Array must have at least ${p.limit} items`);
    case 'maxItems':
      return said('array_max_items', `Array must have at most ${p.limit} items`);
    case 'uniqueItems':
      return said('unique', `array items[${p.j},${p.i}] must be unique`);
    case 'minProperties':
      return said('array_min_properties', `Must have at least ${p.limit} properties`);
    case 'maxProperties':
      return said('array_max_properties', `Must have at most ${p.limit} properties`);
    case 'multipleOf':
      return said('multiple_of', `Must be a multiple of ${p.multipleOf}`);
    case 'anyOf':
      return said('number_any_of', 'Must validate at least one schema (anyOf)');
    case 'oneOf':
      return said('number_one_of', 'Must validate one and only one schema (oneOf)');
    case 'not':
      return said('number_not', 'Must not validate the schema (not)');
    default:
      field = field || '(root)';
      return said(e.keyword, e.message ?? e.keyword);
  }
}

export const jsonSchemaBuiltins: Record<string, Fn> = {
  /** [true, null] for a usable schema, else [false, "jsonschema: <reason>"]. */
  'json.verify_schema': (schema: unknown) => {
    if (!isStr(schema) && !isObj(schema)) return undefined;
    try {
      compile(schema);
      return [true, null];
    } catch (e) {
      return [false, `jsonschema: ${(e as Error).message}`];
    }
  },
  /** [valid, errors]; a document given as text is parsed first. An unusable schema is an
   *  error (undefined), as in OPA. */
  'json.match_schema': (document: unknown, schema: unknown) => {
    if (!isStr(schema) && !isObj(schema)) return undefined;
    const validate = compile(schema);
    const doc: unknown = isStr(document) ? JSON.parse(document) : document;
    if (validate(doc)) return [true, []];
    return [false, (validate.errors ?? []).map((e) => restate(e, doc))];
  },
};
