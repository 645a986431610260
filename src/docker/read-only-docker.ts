/**
 * A dockerode client that cannot change its engine: the seam the adoption dry run talks to hosts
 * through. Every request with a changing method (anything but GET and HEAD: create, start, remove,
 * image import or pull, swarm calls, archive upload) is refused before it is sent, except the one
 * kind of exec the caller allows by its exact command (the network helper's read-only observe
 * program) and the start of such an exec. The hook is docker-modem's `dial`, the one function every
 * dockerode call goes through (as fenced-docker.ts does for leases), so no call site can forget it.
 */
import type Docker from 'dockerode';
import { isChangingMethod } from '../runtime/fence.js';
import { SwarmopError } from '../errors.js';

interface DialOptions {
  method?: string;
  path?: string;
  options?: { Cmd?: unknown };
}

type Dial = (options: DialOptions, callback: (err: unknown, data?: unknown) => void) => unknown;

export interface ReadOnlyDockerOptions {
  /** Whether an exec of exactly this command may be created (it must only read). Default: none. */
  allowExec?: (cmd: readonly string[]) => boolean;
  /** Called with each refused request (method and path), e.g. to count them in a report or a test. */
  onRefused?: (request: string) => void;
}

const EXEC_CREATE = /^\/containers\/[^/]+\/exec$/;
const EXEC_START = /^\/exec\/[^/]+\/start$/;

/** Wraps `docker`'s modem in place and returns `docker`. */
export function readOnlyDockerClient(docker: Docker, options: ReadOnlyDockerOptions = {}): Docker {
  const modem = docker.modem as unknown as { dial: Dial };
  const dial = modem.dial.bind(modem);
  modem.dial = (request, callback) => {
    if (isChangingMethod(request.method) && !allowed(request, options)) {
      const what = `${request.method ?? 'GET'} ${(request.path ?? '').split('?')[0]}`;
      options.onRefused?.(what);
      callback(new SwarmopError('Forbidden', `read-only: refused docker ${what} (the adoption dry run changes nothing on a host)`));
      return undefined;
    }
    return dial(request, callback);
  };
  return docker;
}

function allowed(request: DialOptions, options: ReadOnlyDockerOptions): boolean {
  const path = (request.path ?? '').split('?')[0] ?? '';
  if ((request.method ?? '').toUpperCase() !== 'POST') return false;
  // An exec can only be started once created, and only allowed commands are created.
  if (EXEC_START.test(path)) return true;
  if (!EXEC_CREATE.test(path)) return false;
  const cmd = request.options?.Cmd;
  return Array.isArray(cmd) && cmd.every((a) => typeof a === 'string') && options.allowExec?.(cmd as string[]) === true;
}
