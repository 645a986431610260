/**
 * What the controller looks at on a host, gathered by ONE helper program: the host's links (with
 * bridge/veth details and addresses) and default routes, and, when the container runs, the links
 * and routes inside its network namespace (entered through its netns file).
 */
import { SwarmopError } from '../../errors.js';
import { type HelperCommand, type ProgramResult, inNetns } from '../../nethelper/helper-program.js';
import { type NetLink, type NetRoute, parseLinks, parseRoutes } from '../../nethelper/ip-json.js';
import { engineText } from '../../docker/engine-message.js';

export interface HostNet {
  links: NetLink[];
  defaultRoutes: NetRoute[];
}

export interface ContainerNet {
  links: NetLink[];
  routes: NetRoute[];
}

export interface NetObservation {
  host: HostNet;
  /** Absent when the container is not running (no namespace to look into). */
  container?: ContainerNet;
}

/**
 * One process in the host's netns (ip) and two in the container's (nsenter, ip): each side's
 * commands are one `ip -batch -`, which prints one JSON array per line of its script.
 */
export function observeProgram(netns: string | undefined): HelperCommand[] {
  const cmds: HelperCommand[] = [{ mode: 'must', argv: ['ip', '-j', '-d', '-batch', '-'], stdin: ['addr show', 'route show default'] }];
  if (netns !== undefined) {
    // `may`: the container can exit between inspect and here; the caller re-inspects.
    cmds.push({ mode: 'may', argv: inNetns(netns, ['ip', '-j', '-d', '-batch', '-']), stdin: ['addr show', 'route show'] });
  }
  return cmds;
}

/** The JSON arrays an `ip -j -batch -` printed, one per line of its script. */
function batchOutputs(stdout: string, count: number, what: string): string[] {
  const lines = stdout.split('\n').filter((l) => l.trim() !== '');
  if (lines.length !== count) {
    throw new SwarmopError(
      'Internal',
      `cannot parse ${what}: expected ${count} JSON lines from ip -batch, got ${lines.length} in ${JSON.stringify(stdout.slice(0, 120))}`,
    );
  }
  return lines;
}

/** Parses the program's output; `container` is left out when the namespace could not be entered. */
export function parseObservation(result: ProgramResult, netns: string | undefined): NetObservation {
  if (result.failedAt !== undefined) {
    throw new SwarmopError(
      'Unavailable',
      `network helper could not read the host's links: ${engineText(result.stderr, 300) || 'no output'}`,
    );
  }
  const [hostOut, containerOut] = result.results;
  const [links, routes] = batchOutputs(hostOut?.stdout ?? '', 2, 'host links and routes');
  const obs: NetObservation = {
    host: { links: parseLinks(links!, 'host links'), defaultRoutes: parseRoutes(routes!, 'host routes') },
  };
  if (netns !== undefined && containerOut?.exitCode === 0) {
    const [cLinks, cRoutes] = batchOutputs(containerOut.stdout, 2, 'container links and routes');
    obs.container = {
      links: parseLinks(cLinks!, 'container links'),
      routes: parseRoutes(cRoutes!, 'container routes'),
    };
  }
  return obs;
}
