/**
 * A Docker client that records every method called on it (any depth: `getContainer(x).inspect()`)
 * and answers none: for unit tests that prove a refusal happens before any call to a host.
 */
import type Docker from 'dockerode';

export function recordingDocker(calls: string[]): Docker {
  const proxy = (path: string): unknown =>
    new Proxy(function () {}, {
      get: (_t, prop) => (prop === 'then' ? undefined : proxy(`${path}.${String(prop)}`)),
      apply: () => {
        calls.push(path);
        return Promise.reject(new Error(`unexpected host call ${path}`));
      },
    });
  return proxy('docker') as Docker;
}
