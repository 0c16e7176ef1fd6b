// The Rego abstract syntax tree produced by the parser (parser.ts) and consumed by the checks
// (check.ts) and the planner (plan/). It follows OPA 1.x's own AST closely so that the
// language reference (https://www.openpolicyagent.org/docs/policy-reference) maps onto it
// one to one, with two simplifications:
//   - operators are calls: `a + b` is Call(plus, [a, b]), `a == b` is Call(equal, …),
//     `x in xs` is Call(internal.member_2, …), `k, v in xs` is Call(internal.member_3, …);
//   - `=` and `:=` are expression kinds of their own (unify / assign), not calls.

export interface Loc {
  file: string;
  line: number; // 1-based
  col: number; // 1-based, in UTF-16 code units of the line
}

export type Term =
  | NullTerm
  | BooleanTerm
  | NumberTerm
  | StringTerm
  | VarTerm
  | RefTerm
  | ArrayTerm
  | ObjectTerm
  | SetTerm
  | ArrayComprehension
  | SetComprehension
  | ObjectComprehension
  | CallTerm
  | TemplateString;

export interface NullTerm {
  type: 'null';
  loc: Loc;
}
export interface BooleanTerm {
  type: 'boolean';
  value: boolean;
  loc: Loc;
}
/** The literal's text is kept as written (minus a leading '+'), so integers beyond 2^53 and
 *  decimals survive until they reach the WASM module's own number parser. */
export interface NumberTerm {
  type: 'number';
  raw: string;
  loc: Loc;
}
/** Both "escaped" and `raw` strings; `value` is the decoded string. */
export interface StringTerm {
  type: 'string';
  value: string;
  loc: Loc;
}
/** A variable. `_` is the wildcard; the parser renames every `_` to a unique `$_N` name.
 *  `input` and `data` are vars too (the roots of refs). */
export interface VarTerm {
  type: 'var';
  name: string;
  loc: Loc;
}
/** `head.a[b][c]`: head is a var (`data`, `input`, a local, a rule or import name), or a
 *  composite / call / comprehension term (`[1,2][0]`, `f(x).y`). Each path element is the term
 *  between brackets; `.a` is the string term "a". */
export interface RefTerm {
  type: 'ref';
  head: Term;
  path: Term[];
  loc: Loc;
}
export interface ArrayTerm {
  type: 'array';
  items: Term[];
  loc: Loc;
}
export interface ObjectTerm {
  type: 'object';
  entries: [Term, Term][];
  loc: Loc;
}
export interface SetTerm {
  type: 'set';
  items: Term[];
  loc: Loc;
}
export interface ArrayComprehension {
  type: 'arraycomp';
  term: Term;
  body: Body;
  loc: Loc;
}
export interface SetComprehension {
  type: 'setcomp';
  term: Term;
  body: Body;
  loc: Loc;
}
export interface ObjectComprehension {
  type: 'objectcomp';
  key: Term;
  value: Term;
  body: Body;
  loc: Loc;
}
/** A function or operator call. `fn` is the dotted name as written (`count`, `object.get`,
 *  `data.lib.f`, `lib.f` via an import), as path segments: ["object", "get"]. Operators use
 *  OPA's internal names: plus minus mul div rem and or (set & |) equal neq lt lte gt gte,
 *  internal.member_2 internal.member_3; unary minus on a non-literal is minus(0, x). */
export interface CallTerm {
  type: 'call';
  fn: string[];
  args: Term[];
  loc: Loc;
}
/** `$"text {expr} more"` (string interpolation, OPA ≥ 1.?): parts alternate literal text
 *  and embedded terms. */
export interface TemplateString {
  type: 'template';
  parts: (string | Term)[];
  loc: Loc;
  /** `{x with input as y}`: an embedded expression may carry `with` modifiers (as in OPA,
   *  where each one is a literal); keyed by the index in `parts` of the term they apply to.
   *  Absent when no part has any. */
  partWith?: Record<number, With[]>;
}

export interface With {
  target: RefTerm | VarTerm; // input.x, data.a.b, or a function name (count, data.f)
  value: Term;
  loc: Loc;
}

export type Expr = TermExpr | UnifyExpr | AssignExpr | SomeDecl | SomeIn | Every;

interface ExprBase {
  loc: Loc;
  negated: boolean; // `not expr`
  with: With[];
}
/** A bare term used as an expression: a call (`count(x) > 1` is Call(gt, …)), a ref
 *  (`input.admin`), or any other term; it holds when defined and not `false`. */
export interface TermExpr extends ExprBase {
  kind: 'term';
  term: Term;
}
/** `a = b`: unification, binding vars on either side. */
export interface UnifyExpr extends ExprBase {
  kind: 'unify';
  left: Term;
  right: Term;
}
/** `a := b`: declares the vars of `a` (local to the body) and assigns. */
export interface AssignExpr extends ExprBase {
  kind: 'assign';
  left: Term;
  right: Term;
}
/** `some x, y`: declares local vars. */
export interface SomeDecl extends ExprBase {
  kind: 'some';
  vars: VarTerm[];
}
/** `some v in xs`, `some k, v in xs` (key absent in the first form). */
export interface SomeIn extends ExprBase {
  kind: 'somein';
  key?: Term;
  value: Term;
  collection: Term;
}
/** `every v in xs { body }`, `every k, v in xs { body }`. */
export interface Every extends ExprBase {
  kind: 'every';
  key?: VarTerm;
  value: VarTerm;
  domain: Term;
  body: Body;
}

export type Body = Expr[];

export type RuleKind = 'complete' | 'multi' | 'function';

/**
 * One rule as written. Kinds:
 *  - complete: `p := v if {…}`, `p if {…}`, `a.b.c := v`, `p[k] := v` (ref head with a
 *    variable key: one entry of the object p), `default p := v`;
 *  - multi: `p contains x if {…}` (partial set; `ref` is the set's path, `key` the element);
 *  - function: `f(x, y) := v if {…}` (`args` set).
 * `value` is absent where the rule defines `true` (`p if …`). `assign` is true for `:=`.
 * `body` is empty for a rule without one (`p := 1`). `else` chains follow the rule.
 */
export interface Rule {
  loc: Loc;
  default: boolean;
  kind: RuleKind;
  /** Full head ref: first element the rule name (a var), then path terms: for `a.b[x]`,
   *  [var a, string "b", var x]. */
  ref: Term[];
  args?: Term[];
  key?: Term;
  value?: Term;
  assign: boolean;
  body: Body;
  else?: ElseClause[];
  /** A `# METADATA` block above the rule (annotations.ts), normalized. */
  annotations?: Record<string, unknown>;
}

export interface ElseClause {
  loc: Loc;
  value?: Term; // absent means true
  body: Body;
}

export interface Import {
  loc: Loc;
  /** `import data.x.y as z` → path ["data","x","y"], alias "z"; `import rego.v1` and
   *  `import future.keywords…` are kept with their path, and are no-ops in v1. */
  path: string[];
  alias?: string;
}

/** OPA's Rego versions: v1 (OPA 1.x's default) and v0 (`--v0-compatible`). */
export type RegoVersion = 'v0' | 'v1';

export interface Module {
  file: string;
  /** 'v0' for a module parsed with Rego v0 rules (and not importing rego.v1); absent for v1. */
  regoVersion?: RegoVersion;
  /** `package a.b.c` → ["a","b","c"] (without the implicit `data`). */
  package: string[];
  packageLoc: Loc;
  imports: Import[];
  rules: Rule[];
  /** A `# METADATA` block above the package (annotations.ts), normalized. */
  annotations?: Record<string, unknown>;
}
