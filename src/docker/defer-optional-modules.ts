/**
 * dockerode loads, on its first import, two parts the operator does not use: docker-modem's SSH
 * transport (ssh2, which runs OpenSSL self-tests, probes the CPU through a native addon and sets up
 * a WebAssembly heap for poly1305) and dockerode's BuildKit session (@grpc/grpc-js,
 * @grpc/proto-loader, protobufjs). Loading them cost ~12 MB of the operator's resident memory for
 * nothing. This puts a stand-in for each of the two modules in Node's CommonJS module cache, before
 * dockerode is loaded, that loads the real module on its first call: an `ssh://` endpoint or a
 * BuildKit build still works, and pays for it then.
 *
 * Called first thing by the operator's entry point (bin/swarmop.js); a no-op once dockerode is loaded.
 */
import { createRequire, Module } from 'node:module';
import { dirname, join } from 'node:path';

const require = createRequire(import.meta.url);

/** The module files deferred (both export one function), or undefined when dockerode is not where expected. */
export function optionalModulePaths(): string[] | undefined {
  try {
    const dockerodeLib = dirname(require.resolve('dockerode'));
    return [require.resolve('docker-modem/lib/ssh.js', { paths: [dockerodeLib] }), join(dockerodeLib, 'session.js')];
  } catch {
    return undefined;
  }
}

export function deferDockerodeOptionalModules(): void {
  const paths = optionalModulePaths();
  if (!paths) return;
  if (require.cache[require.resolve('dockerode')]) return; // too late: it has loaded them already
  for (const path of paths) {
    if (require.cache[path]) continue;
    const standIn = new Module(path);
    standIn.filename = path;
    standIn.loaded = true;
    standIn.exports = function deferred(this: unknown, ...args: unknown[]): unknown {
      // The real module replaces the stand-in in the cache; later requires get it directly.
      if (require.cache[path] === standIn) delete require.cache[path];
      return (require(path) as (...a: unknown[]) => unknown).apply(this, args);
    };
    require.cache[path] = standIn;
  }
}
