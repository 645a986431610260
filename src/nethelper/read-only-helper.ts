/**
 * The network helper as the adoption dry run uses it: read-only. It never creates, starts,
 * replaces or removes a container and never provisions the image (what ResidentNetHelper does on
 * first use); it only finds the resident helper the operator left on a host, and runs in it
 * programs that read (`ip -j [-d] -batch -` of `... show` lines, on the host or through a
 * container's netns file). Without a running helper it says so: a host's links and a container's
 * namespace cannot be seen through the Docker API alone (pipework's interfaces are unknown to the
 * engine), so the report says what it could not see instead of guessing.
 */
import type Docker from 'dockerode';
import { execInContainer, type ExecOptions, type ExecResult } from '../docker/exec.js';
import { engineMessage } from '../docker/engine-message.js';
import { SwarmopError } from '../errors.js';
import { defaultHelperImage } from './helper-image.js';
import { type HelperCommand, type ProgramResult, parseProgramOutput, programArgv, RUNNER_SCRIPT } from './helper-program.js';
import { DEFAULT_HELPER_NAME, HELPER_NETNS_DIR_LABEL, type HelperHost, helperIsCurrent } from './net-helper.js';
import { engineNetnsDir, helperNetnsPath, isHelperNetnsPath } from './netns-file.js';

/** What a host holds of the resident helper. `current`: the operator would keep it as it is. */
export type HelperPresence =
  | { state: 'missing'; image: string }
  | { state: 'stopped'; image: string; id: string; current: boolean }
  | { state: 'running'; image: string; id: string; current: boolean; netnsDir?: string };

export type ExecFn = (docker: Docker, container: string, cmd: readonly string[], options?: ExecOptions) => Promise<ExecResult>;

export interface ReadOnlyNetHelperOptions {
  /** The helper image the operator would run (default: this package's). */
  image?: string;
  containerName?: string;
  timeoutMs?: number;
  /** How a program is run in the helper (tests inject a fake). */
  exec?: ExecFn;
}

const IP_FLAGS = new Set(['-j', '-d']);
const SHOW_LINE = /^(addr|link|route) show( [a-z0-9 .:/-]+)?$/;

/** `ip -j -d -batch -` (or the same through `nsenter --net=<helper netns path>`) reading `... show` lines only. */
export function isReadOnlyCommand(c: HelperCommand): boolean {
  let argv = [...c.argv];
  if (argv[0] === 'nsenter') {
    const net = argv[1]?.startsWith('--net=') ? argv[1].slice('--net='.length) : undefined;
    if (net === undefined || !isHelperNetnsPath(net)) return false;
    argv = argv.slice(2);
  }
  if (argv[0] !== 'ip' || argv.length < 3) return false;
  const tail = argv.slice(-2);
  if (tail[0] !== '-batch' || tail[1] !== '-') return false;
  if (!argv.slice(1, -2).every((f) => IP_FLAGS.has(f))) return false;
  return (c.stdin ?? []).length > 0 && (c.stdin ?? []).every((l) => SHOW_LINE.test(l));
}

export function isReadOnlyProgram(commands: readonly HelperCommand[]): boolean {
  return commands.length > 0 && commands.every(isReadOnlyCommand);
}

/** The commands an exec's argv (programArgv's output) carries, or undefined when it is not a runner program. */
export function commandsOfArgv(cmd: readonly string[]): HelperCommand[] | undefined {
  if (cmd[0] !== 'sh' || cmd[1] !== '-c' || cmd[2] !== RUNNER_SCRIPT || cmd[3] !== 'swarmop-runner') return undefined;
  const args = cmd.slice(4);
  const out: HelperCommand[] = [];
  for (let i = 0; i < args.length;) {
    const mode = args[i];
    const n = Number(args[i + 1]);
    const m = Number(args[i + 2]);
    if ((mode !== 'must' && mode !== 'may') || !Number.isInteger(n) || !Number.isInteger(m) || n < 1 || m < 0) return undefined;
    const argv = args.slice(i + 3, i + 3 + n);
    const stdin = args.slice(i + 3 + n, i + 3 + n + m);
    if (argv.length !== n || stdin.length !== m) return undefined;
    out.push({ mode, argv, stdin });
    i += 3 + n + m;
  }
  return out;
}

/** For readOnlyDockerClient's allowExec: an exec whose argv is a runner program that only reads. */
export function isReadOnlyProgramArgv(cmd: readonly string[]): boolean {
  const commands = commandsOfArgv(cmd);
  return commands !== undefined && isReadOnlyProgram(commands);
}

function statusOf(err: unknown): number | undefined {
  const s = (err as { statusCode?: unknown }).statusCode;
  return typeof s === 'number' ? s : undefined;
}

export class ReadOnlyNetHelper {
  readonly image: string;
  private readonly name: string;
  private readonly timeoutMs: number;
  private readonly exec: ExecFn;
  private readonly found = new Map<string, Promise<HelperPresence>>();

  constructor(options: ReadOnlyNetHelperOptions = {}) {
    this.image = options.image ?? defaultHelperImage();
    this.name = options.containerName ?? DEFAULT_HELPER_NAME;
    this.timeoutMs = options.timeoutMs ?? 20_000;
    this.exec = options.exec ?? execInContainer;
  }

  /** The helper container on `host`, by inspect only (once per host). */
  presence(host: HelperHost): Promise<HelperPresence> {
    let p = this.found.get(host.name);
    if (!p) {
      p = this.inspect(host);
      this.found.set(host.name, p);
    }
    return p;
  }

  private async inspect(host: HelperHost): Promise<HelperPresence> {
    let info: Docker.ContainerInspectInfo;
    try {
      info = await host.docker.getContainer(this.name).inspect();
    } catch (err) {
      if (statusOf(err) === 404) return { state: 'missing', image: this.image };
      throw new SwarmopError('Unavailable', `inspect the network helper on ${host.name}: ${engineMessage(err)}`, { cause: err });
    }
    const current = helperIsCurrent(info, this.image);
    if (info.State?.Running !== true) return { state: 'stopped', image: this.image, id: info.Id, current };
    const labelled = info.Config.Labels?.[HELPER_NETNS_DIR_LABEL] || undefined;
    let netnsDir: string | undefined;
    try {
      // The folder the helper mounts is usable only when the engine confirms it (as ResidentNetHelper checks).
      if (labelled !== undefined && engineNetnsDir(info.NetworkSettings?.SandboxKey) === labelled) netnsDir = labelled;
    } catch {
      netnsDir = undefined;
    }
    return { state: 'running', image: this.image, id: info.Id, current, ...(netnsDir !== undefined ? { netnsDir } : {}) };
  }

  /** A container's netns file as the running helper sees it; Unavailable without one, Invalid for a key it refuses. */
  async netnsPath(host: HelperHost, sandboxKey: unknown): Promise<string> {
    const p = await this.presence(host);
    if (p.state !== 'running' || p.netnsDir === undefined)
      throw new SwarmopError('Unavailable', `no running network helper with the engine's netns folder on ${host.name}`);
    return helperNetnsPath(sandboxKey, p.netnsDir);
  }

  /** Runs a program that only reads in the running helper; anything else is refused before any call. */
  async run(host: HelperHost, commands: readonly HelperCommand[]): Promise<ProgramResult> {
    if (!isReadOnlyProgram(commands))
      throw new SwarmopError(
        'Internal',
        `read-only network helper: refused a program that is not read-only (${commands.map((c) => c.argv.join(' ')).join('; ')})`,
      );
    const p = await this.presence(host);
    if (p.state !== 'running') throw new SwarmopError('Unavailable', `no running network helper on ${host.name}`);
    try {
      const r = await this.exec(host.docker, p.id, programArgv(commands), { timeoutMs: this.timeoutMs });
      return parseProgramOutput(commands, r.stdout, r.stderr);
    } catch (err) {
      if (err instanceof SwarmopError) throw err;
      throw new SwarmopError('Unavailable', `network helper exec on ${host.name}: ${engineMessage(err)}`, { cause: err });
    }
  }
}
