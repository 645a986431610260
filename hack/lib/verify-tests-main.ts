/**
 * hack/verify-tests.sh: runs test-lint over every test file of the tree and exits 1 with
 * file:line:col, the rule and why, when anything is found.
 */
import { readFileSync } from 'node:fs';
import { relative } from 'node:path';
import { assertingHelpers, lintTestFile } from './test-lint.js';

const root = process.argv[2] ?? process.cwd();
const files = process.argv.slice(3);
const sources = files.map((f) => ({ file: relative(root, f) || f, text: readFileSync(f, 'utf8') }));
const helpers = assertingHelpers(sources);
const findings = sources.filter((s) => /\.(test|spec)\.ts$/.test(s.file)).flatMap((s) => lintTestFile(s.file, s.text, helpers));
for (const f of findings) console.error(`${f.file}:${f.line}:${f.column}: ${f.rule}: ${f.message}`);
const tests = sources.filter((s) => /\.(test|spec)\.ts$/.test(s.file)).length;
if (findings.length) {
  console.error(`verify-tests: ${findings.length} finding(s) in ${tests} test files`);
  process.exit(1);
}
console.log(`verify-tests: ${tests} test files, no .only, every skip/todo has a reason, every test asserts`);
