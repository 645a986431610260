/**
 * What the controller looks at on a host, gathered by ONE helper program: the host's links (with
 * bridge/veth details and addresses) and default routes, and, when the container runs, the links
 * and routes inside its network namespace (entered through its PID).
 */
import { SwarmopError } from '../../errors.js';
import { type HelperCommand, type ProgramResult, inNetns } from './helper-program.js';
import { type NetLink, type NetRoute, parseLinks, parseRoutes } from './ip-json.js';

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

export function observeProgram(pid: number | undefined): HelperCommand[] {
  const cmds: HelperCommand[] = [
    { mode: 'must', argv: ['ip', '-j', '-d', 'addr', 'show'] },
    { mode: 'must', argv: ['ip', '-j', 'route', 'show', 'default'] },
  ];
  if (pid !== undefined && pid > 0) {
    // `may`: the container can exit between inspect and here; the caller re-inspects.
    cmds.push({ mode: 'may', argv: inNetns(pid, ['ip', '-j', '-d', 'addr', 'show']) });
    cmds.push({ mode: 'may', argv: inNetns(pid, ['ip', '-j', 'route', 'show']) });
  }
  return cmds;
}

/** Parses the program's output; `container` is left out when the namespace could not be entered. */
export function parseObservation(result: ProgramResult, pid: number | undefined): NetObservation {
  if (result.failedAt !== undefined) {
    throw new SwarmopError(
      'Unavailable',
      `network helper could not read the host's links: ${result.stderr.trim().slice(0, 300) || 'no output'}`,
    );
  }
  const [links, routes, cLinks, cRoutes] = result.results;
  const obs: NetObservation = {
    host: { links: parseLinks(links?.stdout ?? '', 'host links'), defaultRoutes: parseRoutes(routes?.stdout ?? '', 'host routes') },
  };
  if (pid !== undefined && pid > 0 && cLinks?.exitCode === 0 && cRoutes?.exitCode === 0) {
    obs.container = {
      links: parseLinks(cLinks.stdout, 'container links'),
      routes: parseRoutes(cRoutes.stdout, 'container routes'),
    };
  }
  return obs;
}
