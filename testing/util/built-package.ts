/**
 * The build and the npm package that tests run: made once per test run, not once per file.
 *
 * hack/test.sh runs `npm pack` (the `prepare` build, the helper root filesystem, the shrinkwrap)
 * before any test starts and names the archive in SWARMOP_TEST_PACKAGE; dist/ is then that build.
 * A file run on its own (without hack/test.sh) builds or packs this checkout itself. Either way the
 * tests see exactly what `npm pack` makes, and a failing build fails them with the compiler's output.
 */
import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

const REPO = join(import.meta.dirname, '..', '..');
const run = promisify(execFile);

/** The archive hack/test.sh packed for this run, or undefined when a file runs on its own. */
function packedByTestRun(): string | undefined {
  const tgz = process.env['SWARMOP_TEST_PACKAGE'];
  if (!tgz) return undefined;
  if (!existsSync(tgz)) throw new Error(`SWARMOP_TEST_PACKAGE=${tgz}: no such file (hack/test.sh packs it before the tests)`);
  return tgz;
}

const LOCK = join(REPO, '.cache', 'build.lock');

/**
 * Runs `work` while holding the checkout's build lock: a build swaps dist/ (and a pack rebuilds
 * assets/), so two test files that build or pack at once (a unit run with --test-concurrency > 1)
 * would each see the other's half-swapped tree. mkdir is atomic; a lock whose holder is gone is taken over.
 */
async function withBuildLock<T>(work: () => Promise<T>): Promise<T> {
  mkdirSync(join(REPO, '.cache'), { recursive: true });
  for (;;) {
    try {
      mkdirSync(LOCK);
      writeFileSync(join(LOCK, 'pid'), String(process.pid));
      break;
    } catch {
      let holder = 0;
      try {
        holder = Number(readFileSync(join(LOCK, 'pid'), 'utf8')) || 0;
      } catch {
        // being taken or just released: look again
      }
      let alive = holder > 0;
      try {
        if (alive) process.kill(holder, 0);
      } catch {
        alive = false;
      }
      if (!alive && holder > 0) rmSync(LOCK, { recursive: true, force: true });
      else await new Promise((r) => setTimeout(r, 250));
    }
  }
  try {
    return await work();
  } finally {
    rmSync(LOCK, { recursive: true, force: true });
  }
}

function failed(what: string, e: unknown): Error {
  const err = e as Error & { stdout?: string; stderr?: string };
  return new Error(`${what} failed: ${err.message}\n${err.stdout ?? ''}${err.stderr ?? ''}`);
}

/** dist/ built from this checkout as `npm pack` builds it (`npm run build`), unless this run already did. */
export async function ensureBuilt(): Promise<void> {
  if (packedByTestRun()) return;
  await withBuildLock(() =>
    run('npm', ['run', '--silent', 'build'], { cwd: REPO, timeout: 180_000 }).catch((e: unknown) => {
      throw failed('npm run build', e);
    }),
  );
}

let ownPack: Promise<string> | undefined;

/** The path of this checkout's npm package (`swarmop-VERSION.tgz`): this run's, or one packed now into a temporary folder. */
export function packedPackage(): Promise<string> {
  const shared = packedByTestRun();
  if (shared) return Promise.resolve(shared);
  ownPack ??= (async () => {
    const dir = mkdtempSync(join(tmpdir(), 'swarmop-pack-'));
    process.once('exit', () => rmSync(dir, { recursive: true, force: true }));
    const { stdout } = await withBuildLock(() =>
      run('npm', ['pack', '--json', '--loglevel=error', '--pack-destination', dir], {
        cwd: REPO,
        maxBuffer: 16 * 1024 * 1024,
        timeout: 300_000,
      }).catch((e: unknown) => {
        throw failed('npm pack', e);
      }),
    );
    // The build's own output may precede the JSON document.
    const [result] = JSON.parse(stdout.slice(stdout.indexOf('[\n'))) as { filename: string }[];
    return join(dir, result!.filename);
  })();
  return ownPack;
}

/** The files in an npm package archive, relative to its `package/` folder, sorted. */
export async function packageFiles(tgz: string): Promise<string[]> {
  const { stdout } = await run('tar', ['-tzf', tgz], { maxBuffer: 16 * 1024 * 1024 });
  return stdout
    .split('\n')
    .filter((l) => l && !l.endsWith('/'))
    .map((l) => l.replace(/^package\//, ''))
    .sort();
}

/** One file of an npm package archive, as bytes. */
export async function packageFile(tgz: string, path: string): Promise<Buffer> {
  const { stdout } = await run('tar', ['-xOzf', tgz, `package/${path}`], { encoding: 'buffer', maxBuffer: 256 * 1024 * 1024 });
  return stdout;
}
