/**
 * BENCH_UNFENCED=1: a built copy of this tree with the leader fence taken off the Docker clients
 * (the same one-line change as hack/mutation-smoke.sh's `fence` mutant), so the partition rounds
 * of bench:failover can show that their overlap check fails when fencing is missing. The copy lives
 * in a temporary folder; nothing in the product has a switch for it.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync, mkdirSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { REPO_ROOT } from '../testing/harness/operator-process.js';

const FILE = 'src/docker/fenced-docker.ts';
const FROM = '    if (isChangingMethod(options.method)) {';
const TO = "    if (isChangingMethod(options.method) && options.path === '/never') {";

export function buildUnfencedTree(): { root: string; remove: () => void } {
  const root = mkdtempSync(join(tmpdir(), 'swarmop-unfenced-'));
  const files = execFileSync('git', ['ls-files', '-co', '--exclude-standard', '-z'], { cwd: REPO_ROOT })
    .toString()
    .split('\0')
    .filter((f) => f && !f.startsWith('e2e/artifacts/'));
  execFileSync('tar', ['--null', '-T', '-', '-c', '-f', join(root, '.tree.tar')], { cwd: REPO_ROOT, input: files.join('\0') });
  execFileSync('tar', ['-x', '-f', '.tree.tar'], { cwd: root });
  rmSync(join(root, '.tree.tar'));
  for (const l of ['node_modules', '.cache']) if (existsSync(join(REPO_ROOT, l))) symlinkSync(join(REPO_ROOT, l), join(root, l));
  mkdirSync(join(root, 'assets'), { recursive: true });
  for (const f of readdirSync(join(REPO_ROOT, 'assets')))
    if (!existsSync(join(root, 'assets', f))) symlinkSync(join(REPO_ROOT, 'assets', f), join(root, 'assets', f));
  const path = join(root, FILE);
  const text = readFileSync(path, 'utf8');
  if (text.split(FROM).length !== 2) throw new Error(`bench: the fence line is not in ${FILE} exactly once`);
  writeFileSync(path, text.replace(FROM, TO));
  execFileSync('npm', ['run', '--silent', 'build'], { cwd: root, stdio: 'inherit' });
  return { root, remove: () => rmSync(root, { recursive: true, force: true }) };
}
