/**
 * Where the installed package is and which version it is: the first folder above this module
 * with swarmop's package.json (the checkout when run from src/, the package when run from dist/src/).
 * Files the package carries besides code (assets/) are found from there.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

interface PackageInfo {
  root: string;
  version: string;
}

let found: PackageInfo | undefined;

export function packageInfo(): PackageInfo {
  if (found) return found;
  let dir = path.dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 6; i++) {
    try {
      const pkg = JSON.parse(readFileSync(path.join(dir, 'package.json'), 'utf8')) as { name?: string; version?: string };
      if (pkg.name === 'swarmop' && pkg.version) return (found = { root: dir, version: pkg.version });
    } catch {
      // not here; keep climbing
    }
    dir = path.dirname(dir);
  }
  throw new Error(`swarmop's package.json not found above ${fileURLToPath(import.meta.url)}`);
}

/** A file the package carries, e.g. `assets/nethelper-rootfs.tar.gz`. */
export function packageFile(relative: string): string {
  return path.join(packageInfo().root, relative);
}
