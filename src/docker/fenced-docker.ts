/**
 * Fencing for a dockerode client: every request that can change the engine (any method but GET
 * and HEAD: create, start, stop, remove, exec create/start, image import, swarm join/leave, node
 * update, archive upload) passes the fence before it is sent and is aborted when the lease ends.
 * The hook is docker-modem's `dial`, the one function every dockerode call goes through, so no
 * call site can forget it. Reads (inspect, list, events, ping) pass unchanged.
 */
import type Docker from 'dockerode';
import { isChangingMethod, type Fence } from '../runtime/fence.js';

interface DialOptions {
  method?: string;
  path?: string;
  abortSignal?: AbortSignal;
}

type Dial = (options: DialOptions, callback: (err: unknown, data?: unknown) => void) => unknown;

/** Wraps `docker`'s modem in place and returns `docker`. */
export function fenceDockerClient(docker: Docker, fence: Fence): Docker {
  const modem = docker.modem as unknown as { dial: Dial };
  const dial = modem.dial.bind(modem);
  modem.dial = (options, callback) => {
    if (isChangingMethod(options.method)) {
      try {
        fence.check(`docker ${options.method ?? 'GET'} ${(options.path ?? '').split('?')[0]}`);
      } catch (err) {
        callback(err);
        return undefined;
      }
      options.abortSignal = options.abortSignal ? AbortSignal.any([options.abortSignal, fence.signal]) : fence.signal;
    }
    return dial(options, callback);
  };
  return docker;
}
