/**
 * A container's network namespace as the network helper reaches it: through the namespace file the
 * engine keeps for the container (`NetworkSettings.SandboxKey`, `<exec-root>/netns/<sandbox id>`),
 * bind-mounted read-only into the helper at HELPER_NETNS_DIR. Entering a namespace by file needs
 * only CAP_SYS_ADMIN (setns); by PID it also needs the host's PID namespace and CAP_SYS_PTRACE, which
 * would let the helper read any process's memory.
 *
 * Both paths come from the engine's answers, and an answer is data, not a path to trust: the
 * engine's netns folder is taken from the helper's own SandboxKey (`<dir>/default`, the host's
 * namespace: the helper runs with `--net host`), and a container's key must name a file right in
 * that folder, by a sandbox id (hex). `default` itself is refused: it is the host's namespace.
 */
import { SwarmopError } from '../errors.js';

/** Where the helper sees the engine's netns folder. */
export const HELPER_NETNS_DIR = '/run/swarmop/netns';

const SANDBOX_ID = /^[0-9a-f]{12,64}$/;
const HELPER_PATH = new RegExp(`^${HELPER_NETNS_DIR.replace(/\//g, '\\/')}\\/[0-9a-f]{12,64}$`);

/** `key` split into folder and file name, when it is an absolute, normalised `<...>/netns/<name>` path. */
function splitKey(key: unknown, what: string): { dir: string; name: string } {
  const bad = (why: string): SwarmopError =>
    new SwarmopError('Invalid', `${what} ${JSON.stringify(String(key).slice(0, 120))} is not a netns file of the engine: ${why}`);
  if (typeof key !== 'string' || key === '') throw bad('empty');
  if (key.length > 512) throw bad('too long');
  if (!key.startsWith('/')) throw bad('not absolute');
  if (!/^[A-Za-z0-9._/-]+$/.test(key)) throw bad('unexpected characters');
  const parts = key.split('/').slice(1);
  if (parts.some((p) => p === '' || p === '.' || p === '..')) throw bad('not a normalised path (empty, . or .. segment)');
  if (parts.length < 2 || parts[parts.length - 2] !== 'netns') throw bad('not in a netns folder');
  return { dir: `/${parts.slice(0, -1).join('/')}`, name: parts[parts.length - 1]! };
}

/** The engine's netns folder, from the SandboxKey of a `--net host` container (`<dir>/default`). */
export function engineNetnsDir(hostSandboxKey: unknown): string {
  const { dir, name } = splitKey(hostSandboxKey, "the helper's SandboxKey");
  if (name !== 'default')
    throw new SwarmopError(
      'Invalid',
      `the helper's SandboxKey ${JSON.stringify(hostSandboxKey)} is not the engine's host namespace file (<dir>/default)`,
    );
  return dir;
}

/**
 * The path, inside the helper, of the container's netns file named by `sandboxKey`, which must be a
 * sandbox's file in `engineDir` (never the host's `default`, never another folder).
 */
export function helperNetnsPath(sandboxKey: unknown, engineDir: string): string {
  const { dir, name } = splitKey(sandboxKey, 'SandboxKey');
  if (dir !== engineDir)
    throw new SwarmopError('Invalid', `SandboxKey ${JSON.stringify(sandboxKey)} is not in the engine's netns folder ${engineDir}`);
  if (!SANDBOX_ID.test(name))
    throw new SwarmopError('Invalid', `SandboxKey ${JSON.stringify(sandboxKey)} does not name a container's own namespace`);
  return `${HELPER_NETNS_DIR}/${name}`;
}

/** True for a path helperNetnsPath() can return (checked again where argv is built). */
export function isHelperNetnsPath(path: string): boolean {
  return HELPER_PATH.test(path);
}
