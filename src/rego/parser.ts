// Rego v1 parser: source text → Module (ast.ts), accepting what OPA 1.x accepts. The grammar
// is OPA's (https://www.openpolicyagent.org/docs/policy-reference#grammar, and where the docs
// are silent, OPA's v1/ast/parser.go): module = package, imports, rules. Stages:
//   lexer.ts          tokens (strings, numbers, template-string parts, newlines seen)
//   parse/terms.ts    terms, refs, calls, collections, comprehensions, infix operators
//   parse/body.ts     bodies and literals: not, some, every, with, := and =
//   parse/rules.ts    rule heads, if/else, default, contains, functions, v1 checks
//   parser.ts         package and import statements, the module loop
// Every failure is a RegoError REGO_PARSE_ERROR at file:line:col.

import type { Import, Module, RegoVersion, Rule } from './ast.ts';
import { RegoError } from './errors.ts';
import { KEYWORDS, tokenize, type Token } from './lexer.ts';
import { describe, Fail } from './parse/cursor.ts';
import { RuleParser } from './parse/rules.ts';
import { attachAnnotations, scanAnnotations } from './annotations.ts';

/** Parses one module, Rego v1 unless `version` is 'v0' (OPA 1.x's --v0-compatible: keyword
 *  rules without `if`, `p[x] { … }` partial sets, `contains`/`in`/`every`/`if` keywords only
 *  when imported, and `import rego.v1` switching the module to v1). Throws RegoError (code
 *  REGO_PARSE_ERROR) on any error. */
export function parseModule(file: string, text: string, version: RegoVersion = 'v1'): Module {
  try {
    const module = new ModuleParser(file, tokenize(file, text), version).parse();
    if (text.includes('METADATA')) attachAnnotations(module, scanAnnotations(file, text));
    return module;
  } catch (e) {
    // The nesting guard keeps recursion far from the stack limit; this is a second fence.
    if (e instanceof RangeError && /call stack/i.test(e.message)) {
      throw new RegoError('REGO_PARSE_ERROR', 'nesting too deep', { file, line: 1, col: 1 });
    }
    throw e;
  }
}

const IMPORT_ROOTS = ['data', 'input', 'future', 'rego'];
const FUTURE_KEYWORDS = ['contains', 'every', 'if', 'in'];

class ModuleParser extends RuleParser {
  constructor(file: string, toks: Token[], version: RegoVersion) {
    super(file, toks);
    if (version === 'v0') {
      this.v0 = true;
      for (const k of FUTURE_KEYWORDS) this.kw.delete(k);
    }
  }

  parse(): Module {
    try {
      return this.module();
    } catch (e) {
      throw e instanceof Fail ? this.toRegoError(e) : e;
    }
  }

  private module(): Module {
    const first = this.tok();
    if (first.kind === 'eof') this.fail('empty module: expected a package declaration');
    if (!this.isKw('package')) {
      this.fail(`unexpected ${describe(first)}, expected a package declaration`);
    }
    this.next();
    const pkg = this.parsePath('package');
    const imports: Import[] = [];
    const rules: Rule[] = [];
    while (this.tok().kind !== 'eof') {
      if (this.isKw('import')) imports.push(this.parseImport());
      else if (this.isKw('package'))
        this.fail('unexpected package declaration: a module has exactly one');
      else rules.push(...this.parseRules());
    }
    const module: Module = {
      file: this.file,
      package: pkg,
      packageLoc: this.locOf(first),
      imports,
      rules,
    };
    if (this.v0) module.regoVersion = 'v0';
    return module;
  }

  /** `a.b["c"]`: names, keywords included (`package foo.in`), and bracketed strings. */
  private parsePath(what: 'package' | 'import'): string[] {
    const t = this.tok();
    if (t.kind !== 'ident') this.fail(`unexpected ${describe(t)}, expected a ${what} path`);
    this.next();
    const path = [t.text];
    for (;;) {
      const s = this.tok();
      if (s.kind !== 'op' || s.ws) return path;
      if (s.text === '.') {
        this.next();
        const n = this.tok();
        if (n.kind !== 'ident' || n.ws)
          this.fail(`unexpected ${describe(n)} after '.', expected a name`);
        this.next();
        path.push(n.text);
      } else if (s.text === '[') {
        this.next();
        const n = this.tok();
        if (n.kind !== 'string')
          this.fail(`unexpected ${describe(n)}, expected a string in ${what} path`);
        this.next();
        this.expectOp(']');
        path.push(n.text);
      } else return path;
    }
  }

  /** `import data.x.y [as z]`, `import input.x`, `import future.keywords[.kw]`,
   *  `import rego.v1`: the last two are no-ops in Rego v1 but validated as OPA does. */
  private parseImport(): Import {
    const loc = this.locOf(this.next());
    const pathTok = this.tok();
    const path = this.parsePath('import');
    const imp: Import = { loc, path };
    if (!IMPORT_ROOTS.includes(path[0])) {
      this.fail(
        `unexpected import path, must begin with one of: ${IMPORT_ROOTS.join(', ')}; got: ${path[0]}`,
        pathTok,
      );
    }
    if (this.isKw('as')) {
      this.next();
      const a = this.tok();
      if (a.kind !== 'ident' || KEYWORDS.has(a.text))
        this.fail(`unexpected ${describe(a)}, expected an alias name after 'as'`);
      this.next();
      imp.alias = a.text;
    }
    if (path[0] === 'future') {
      this.checkFuture(imp, pathTok);
      for (const k of path.length === 3 ? [path[2]] : FUTURE_KEYWORDS) this.kw.add(k);
    } else if (path[0] === 'rego') {
      if (path.length !== 2 || path[1] !== 'v1')
        this.fail(`invalid import \`${path.join('.')}\`, must be \`rego.v1\``, pathTok);
      this.v0 = false;
      for (const k of FUTURE_KEYWORDS) this.kw.add(k);
    } else if (!imp.alias && path.length > 1 && KEYWORDS.has(path[path.length - 1])) {
      this.fail(
        `unexpected import path, must not end with a keyword, got: ${path[path.length - 1]} (import a different path or use an alias)`,
        pathTok,
      );
    }
    return imp;
  }

  private checkFuture(imp: Import, at: Token): void {
    const p = imp.path;
    if (p.length < 2 || p[1] !== 'keywords' || p.length > 3)
      this.fail('invalid import, must be `future.keywords`', at);
    if (imp.alias) this.fail('`future` imports cannot be aliased', at);
    if (p.length === 3 && !FUTURE_KEYWORDS.includes(p[2])) {
      this.fail(`unexpected keyword, must be one of [${FUTURE_KEYWORDS.join(' ')}]`, at);
    }
  }
}
