/**
 * Static checks on test files that a green run cannot show: a focused test (`.only`) silently drops
 * the rest of the suite, a skip or todo without a reason hides why something is not tested, and a
 * test body that never asserts passes whether or not the behaviour exists.
 *
 * "Asserts" means: calls an `assert*`/`expect*` function or an `assert.*` method, throws, or calls a
 * helper (declared in a test-support file) that does one of those, transitively. Helpers are matched
 * by name, which errs on the lenient side; the rule is there to catch bodies that check nothing.
 *
 * In a test body an assertion counts only where it always runs: not only inside an `if` (one whose
 * branches both assert does count; `if (bad) throw ...` is an assertion written by hand and counts),
 * and not after a statement that may `return` early (a `return t.skip(...)` reports the test as
 * skipped, so it does not end the count). Otherwise the test passes whenever the condition is false.
 */
import ts from 'typescript';

export type Rule = 'only' | 'skip-without-reason' | 'todo-without-reason' | 'no-assertion';

export interface Finding {
  file: string;
  line: number;
  column: number;
  rule: Rule;
  message: string;
}

const TEST_CALLS = new Set(['test', 'it', 'itE2E']);
const SUITE_CALLS = new Set(['describe', 'suite', 'describeE2E']);

/** Files whose functions may stand in for assertions when a test calls them. */
export function isTestSupport(file: string): boolean {
  return /(^|\/)(e2e|testing)\//.test(file) || /\.(test|spec)\.ts$/.test(file);
}

function parse(file: string, text: string): ts.SourceFile {
  return ts.createSourceFile(file, text, ts.ScriptTarget.ES2022, true, ts.ScriptKind.TS);
}

function calleeName(call: ts.CallExpression): string | undefined {
  const e = call.expression;
  if (ts.isIdentifier(e)) return e.text;
  if (ts.isPropertyAccessExpression(e)) return e.name.text;
  return undefined;
}

/** True for assert(...), assertX(...), expectX(...), assert.x(...), t.assert.x(...). */
function isDirectAssertion(call: ts.CallExpression): boolean {
  const e = call.expression;
  if (ts.isIdentifier(e)) return /^(assert|expect)/.test(e.text);
  if (ts.isPropertyAccessExpression(e)) {
    if (/^(assert|expect)/.test(e.name.text)) return true;
    const recv = e.expression;
    if (ts.isIdentifier(recv) && recv.text === 'assert') return true;
    if (ts.isPropertyAccessExpression(recv) && recv.name.text === 'assert') return true;
  }
  return false;
}

/** Does `node` (a function body) assert, given the names of helpers already known to assert? */
function asserts(node: ts.Node, helpers: ReadonlySet<string>): boolean {
  let found = false;
  const visit = (n: ts.Node): void => {
    if (found) return;
    if (ts.isThrowStatement(n)) {
      found = true;
      return;
    }
    if (ts.isCallExpression(n)) {
      const name = calleeName(n);
      if (isDirectAssertion(n) || (name !== undefined && helpers.has(name))) {
        found = true;
        return;
      }
    }
    ts.forEachChild(n, visit);
  };
  visit(node);
  return found;
}

/** `return t.skip(...)` / `return t.todo(...)`: the test is reported as skipped, not passed. */
function isSkipReturn(r: ts.ReturnStatement): boolean {
  const e = r.expression;
  return (
    e !== undefined &&
    ts.isCallExpression(e) &&
    ts.isPropertyAccessExpression(e.expression) &&
    ['skip', 'todo'].includes(e.expression.name.text)
  );
}

/** Does `node` hold a `return` of the function it is in (not of a nested function), other than a skip? */
function mayReturnEarly(node: ts.Node): boolean {
  let found = false;
  const visit = (n: ts.Node): void => {
    if (found || ts.isFunctionLike(n) || ts.isClassLike(n)) return;
    if (ts.isReturnStatement(n) && !isSkipReturn(n)) {
      found = true;
      return;
    }
    ts.forEachChild(n, visit);
  };
  ts.forEachChild(node, visit);
  return found || (ts.isReturnStatement(node) && !isSkipReturn(node));
}

/**
 * Does a test body assert on every path that does not end in a skip? Statements are taken in order:
 * an `if` counts when both branches do (or it is `if (...) throw`), a block or `try` by its own
 * statements, anything else by `asserts`; counting ends at the first statement that may return early.
 */
function assertsAlways(node: ts.Node, helpers: ReadonlySet<string>): boolean {
  if (!ts.isBlock(node)) return asserts(node, helpers);
  for (const st of node.statements) {
    if (statementAssertsAlways(st, helpers)) return true;
    if (mayReturnEarly(st)) return false;
  }
  return false;
}

function statementAssertsAlways(st: ts.Statement, helpers: ReadonlySet<string>): boolean {
  if (ts.isIfStatement(st)) {
    if (asserts(st.expression, helpers)) return true;
    if (
      ts.isThrowStatement(st.thenStatement) ||
      (ts.isBlock(st.thenStatement) && st.thenStatement.statements.length === 1 && ts.isThrowStatement(st.thenStatement.statements[0]!))
    )
      return true;
    return (
      st.elseStatement !== undefined && branchAssertsAlways(st.thenStatement, helpers) && branchAssertsAlways(st.elseStatement, helpers)
    );
  }
  if (ts.isBlock(st)) return assertsAlways(st, helpers);
  if (ts.isTryStatement(st))
    return assertsAlways(st.tryBlock, helpers) || (st.finallyBlock !== undefined && assertsAlways(st.finallyBlock, helpers));
  if (ts.isReturnStatement(st)) return st.expression !== undefined && asserts(st.expression, helpers);
  return asserts(st, helpers);
}

function branchAssertsAlways(st: ts.Statement, helpers: ReadonlySet<string>): boolean {
  return ts.isBlock(st) ? assertsAlways(st, helpers) : statementAssertsAlways(st, helpers);
}

type FnLike = ts.FunctionDeclaration | ts.ArrowFunction | ts.FunctionExpression | ts.MethodDeclaration;

/** Named functions of a file: declarations, `const x = () => ...`, methods and `x: () => ...` properties. */
function namedFunctions(sf: ts.SourceFile): { name: string; fn: FnLike }[] {
  const out: { name: string; fn: FnLike }[] = [];
  const visit = (n: ts.Node): void => {
    if (ts.isFunctionDeclaration(n) && n.name && n.body) out.push({ name: n.name.text, fn: n });
    else if (ts.isMethodDeclaration(n) && n.body && (ts.isIdentifier(n.name) || ts.isStringLiteral(n.name)))
      out.push({ name: n.name.text, fn: n });
    else if (
      (ts.isVariableDeclaration(n) || ts.isPropertyAssignment(n)) &&
      n.initializer &&
      (ts.isArrowFunction(n.initializer) || ts.isFunctionExpression(n.initializer)) &&
      ts.isIdentifier(n.name)
    ) {
      out.push({ name: n.name.text, fn: n.initializer });
    }
    ts.forEachChild(n, visit);
  };
  visit(sf);
  return out;
}

/** Names of test-support functions that assert (directly or through each other), to a fixpoint. */
export function assertingHelpers(files: readonly { file: string; text: string }[]): Set<string> {
  const fns = files.filter((f) => isTestSupport(f.file)).flatMap((f) => namedFunctions(parse(f.file, f.text)));
  const names = new Set<string>();
  for (let changed = true; changed;) {
    changed = false;
    for (const { name, fn } of fns) {
      if (names.has(name) || !fn.body) continue;
      if (asserts(fn.body, names)) {
        names.add(name);
        changed = true;
      }
    }
  }
  return names;
}

function optionFlag(options: ts.ObjectLiteralExpression, key: string): ts.Expression | 'shorthand' | undefined {
  for (const p of options.properties) {
    if (ts.isPropertyAssignment(p) && (ts.isIdentifier(p.name) || ts.isStringLiteral(p.name)) && p.name.text === key) return p.initializer;
    if (ts.isShorthandPropertyAssignment(p) && p.name.text === key) return 'shorthand';
  }
  return undefined;
}

/** `true`, `''`: no reason. A non-empty string or a computed value (a variable holding the reason or false): a reason. */
function lacksReason(v: ts.Expression | 'shorthand'): boolean {
  if (v === 'shorthand') return false;
  if (v.kind === ts.SyntaxKind.TrueKeyword) return true;
  if (ts.isStringLiteral(v) || ts.isNoSubstitutionTemplateLiteral(v)) return v.text.trim() === '';
  return false;
}

/** Findings for one test file. `helpers`: from assertingHelpers over the whole tree. */
export function lintTestFile(file: string, text: string, helpers: ReadonlySet<string>): Finding[] {
  const sf = parse(file, text);
  const findings: Finding[] = [];
  const add = (node: ts.Node, rule: Rule, message: string) => {
    const { line, character } = sf.getLineAndCharacterOfPosition(node.getStart(sf));
    findings.push({ file, line: line + 1, column: character + 1, rule, message });
  };
  const visit = (n: ts.Node): void => {
    if (ts.isCallExpression(n)) check(n);
    ts.forEachChild(n, visit);
  };
  const check = (call: ts.CallExpression): void => {
    const e = call.expression;
    // test.only / it.skip / describe.todo ...
    if (
      ts.isPropertyAccessExpression(e) &&
      ts.isIdentifier(e.expression) &&
      (TEST_CALLS.has(e.expression.text) || SUITE_CALLS.has(e.expression.text))
    ) {
      const what = `${e.expression.text}.${e.name.text}`;
      if (e.name.text === 'only') add(call, 'only', `${what}() runs only this test and drops the rest of the file`);
      if (e.name.text === 'skip') add(call, 'skip-without-reason', `${what}() gives no reason; use { skip: 'why' } or t.skip('why')`);
      if (e.name.text === 'todo') add(call, 'todo-without-reason', `${what}() gives no reason; use { todo: 'why' }`);
      if (e.name.text !== 'only') return;
    }
    // t.skip() / t.todo() inside a test, with no reason
    if (
      ts.isPropertyAccessExpression(e) &&
      ts.isIdentifier(e.expression) &&
      (e.name.text === 'skip' || e.name.text === 'todo') &&
      !TEST_CALLS.has(e.expression.text)
    ) {
      const arg = call.arguments[0];
      if (!arg || lacksReason(arg))
        add(
          call,
          e.name.text === 'skip' ? 'skip-without-reason' : 'todo-without-reason',
          `${e.expression.text}.${e.name.text}() gives no reason`,
        );
      return;
    }
    const name = ts.isIdentifier(e)
      ? e.text
      : ts.isPropertyAccessExpression(e) && e.name.text === 'only' && ts.isIdentifier(e.expression)
        ? e.expression.text
        : undefined;
    const isTest = name !== undefined && TEST_CALLS.has(name);
    const isSuite = name !== undefined && SUITE_CALLS.has(name);
    if (!isTest && !isSuite) return;
    const options = call.arguments.find((a): a is ts.ObjectLiteralExpression => ts.isObjectLiteralExpression(a));
    let todo = false;
    if (options) {
      const only = optionFlag(options, 'only');
      if (only !== undefined && only !== 'shorthand' && only.kind === ts.SyntaxKind.TrueKeyword)
        add(call, 'only', `${name}(..., { only: true }) runs only this test`);
      const skip = optionFlag(options, 'skip');
      if (skip !== undefined && lacksReason(skip))
        add(call, 'skip-without-reason', `${name}(..., { skip: true }) gives no reason; give the reason as a string`);
      const t = optionFlag(options, 'todo');
      if (t !== undefined) {
        todo = true;
        if (lacksReason(t)) add(call, 'todo-without-reason', `${name}(..., { todo: true }) gives no reason; give the reason as a string`);
      }
    }
    if (!isTest || todo) return;
    const body = [...call.arguments].reverse().find((a) => ts.isArrowFunction(a) || ts.isFunctionExpression(a)) as
      ts.ArrowFunction | ts.FunctionExpression | undefined;
    if (body && !assertsAlways(body.body, helpers)) {
      const title = call.arguments.find((a) => ts.isStringLiteral(a) || ts.isNoSubstitutionTemplateLiteral(a)) as
        ts.StringLiteral | undefined;
      const why = asserts(body.body, helpers)
        ? 'asserts only inside an `if` or after an early `return`'
        : 'calls no assertion (assert.*, a throw, or a helper that asserts)';
      add(call, 'no-assertion', `test ${title ? JSON.stringify(title.text) : ''} ${why}: it passes whatever the code does`);
    }
  };
  visit(sf);
  return findings;
}
