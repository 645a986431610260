// `npm run build`: compiles src/ into dist.next/ and swaps it in for dist/, so that a process
// starting the CLI while another builds (hack/test.sh runs two test files side by side, and the
// package tests rebuild) never finds dist/ half-written or gone. A stale file of a deleted source
// does not survive, as the old `rm -rf dist && tsc` made sure too.
import { execFileSync } from 'node:child_process';
import { existsSync, renameSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';

const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
rmSync('dist.next', { recursive: true, force: true });
execFileSync(process.execPath, [tsc, '-p', 'tsconfig.build.json', '--outDir', 'dist.next'], { stdio: 'inherit' });
rmSync('dist.old', { recursive: true, force: true });
if (existsSync('dist')) renameSync('dist', 'dist.old');
renameSync('dist.next', 'dist');
rmSync('dist.old', { recursive: true, force: true });
