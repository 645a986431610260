/**
 * Puts an agent's secrets config file into its container between create and start, through the
 * Docker API's archive upload, owned by the user the agent runs as and readable by nobody else.
 */
import type Docker from 'dockerode';
import { SwarmopError } from '../../errors.js';
import { SECRETS_FILE_MODE, type AgentConfigFile } from './agent-config-file.js';
import { firstFileOfTar, tarOneFile } from './tar-entry.js';
import { BoundedChunks } from '../../runtime/output-limits.js';

export interface AgentUser {
  uid: number;
  gid: number;
}

/** uid and gid of `name` in /etc/passwd text; undefined when absent. */
export function passwdEntry(passwd: string, name: string): AgentUser | undefined {
  for (const line of passwd.split('\n')) {
    const f = line.split(':');
    if (f[0] === name && f.length >= 4) return { uid: Number(f[2]), gid: Number(f[3]) };
  }
  return undefined;
}

/** gid of `name` in /etc/group text. */
export function groupEntry(group: string, name: string): number | undefined {
  for (const line of group.split('\n')) {
    const f = line.split(':');
    if (f[0] === name && f.length >= 3) return Number(f[2]);
  }
  return undefined;
}

const NUMERIC = /^\d+$/;

/**
 * Who the agent runs as: the image's USER when it sets one; otherwise the `consul` user when the
 * image has one (the official image's entrypoint drops to it before it runs the agent); else root.
 * `readFile` reads a file of the image (undefined when missing).
 */
export async function resolveAgentUser(imageUser: string, readFile: (path: string) => Promise<string | undefined>): Promise<AgentUser> {
  const [user = '', group] = imageUser.split(':');
  if (user === '') {
    const consul = passwdEntry((await readFile('/etc/passwd')) ?? '', 'consul');
    return consul ?? { uid: 0, gid: 0 };
  }
  let resolved: AgentUser;
  if (NUMERIC.test(user)) {
    // As docker does: the primary group of that uid's passwd entry, else root's group.
    const uid = Number(user);
    const line = ((await readFile('/etc/passwd')) ?? '')
      .split('\n')
      .map((l) => l.split(':'))
      .find((f) => f.length >= 4 && Number(f[2]) === uid);
    resolved = { uid, gid: line ? Number(line[3]) : 0 };
  } else {
    const entry = passwdEntry((await readFile('/etc/passwd')) ?? '', user);
    if (!entry)
      throw new SwarmopError('Invalid', `the image's user "${user}" is not in its /etc/passwd; cannot give it the agent's config file`);
    resolved = entry;
  }
  if (group === undefined) return resolved;
  if (NUMERIC.test(group)) return { uid: resolved.uid, gid: Number(group) };
  const gid = groupEntry((await readFile('/etc/group')) ?? '', group);
  if (gid === undefined)
    throw new SwarmopError('Invalid', `the image's group "${group}" is not in its /etc/group; cannot give it the agent's config file`);
  return { uid: resolved.uid, gid };
}

/** /etc/passwd and /etc/group of an image from any registry: a few KB, never more than this. */
const IMAGE_FILE_LIMIT_BYTES = 4 * 1024 * 1024;

/** A stream read whole, up to `maxBytes` (OutputLimitError past it). */
export async function readAll(stream: NodeJS.ReadableStream, maxBytes = IMAGE_FILE_LIMIT_BYTES): Promise<Buffer> {
  const chunks = new BoundedChunks({ maxBytes, what: 'a file of the agent image' });
  for await (const c of stream) chunks.push(Buffer.isBuffer(c) ? c : Buffer.from(c as string));
  return chunks.buffer();
}

/** A file of a (created, not yet started) container's filesystem; undefined when it does not exist. */
async function readContainerFile(c: Docker.Container, path: string): Promise<string | undefined> {
  try {
    const tar = await readAll(await c.getArchive({ path }));
    return firstFileOfTar(tar)?.content.toString('utf8');
  } catch (err) {
    if ((err as { statusCode?: number }).statusCode === 404) return undefined;
    throw err;
  }
}

/** Writes the file and its extra files (mode 0600, owned by the agent's user) into the container; call before start. */
export async function putAgentConfigFile(c: Docker.Container, imageUser: string, file: AgentConfigFile): Promise<AgentUser> {
  const owner = await resolveAgentUser(imageUser, (p) => readContainerFile(c, p));
  // Relative to "/": the engine creates missing parent folders, so any image layout works.
  // The TLS certificate and key come with it (same mode and owner), one archive each.
  for (const f of [file, ...(file.extraFiles ?? [])]) {
    const tar = tarOneFile({
      name: f.path.replace(/^\/+/, ''),
      content: Buffer.from(f.content.reveal(), 'utf8'),
      mode: SECRETS_FILE_MODE,
      ...owner,
    });
    await c.putArchive(tar, { path: '/' });
  }
  return owner;
}
