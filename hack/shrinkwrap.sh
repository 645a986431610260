#!/usr/bin/env bash
# Writes npm-shrinkwrap.json from package-lock.json, for `npm pack` (the prepack script): npm puts
# it in the package, and `npm install -g ./swarmop-<version>.tgz` (by a user, or by the operator
# image's build) then installs exactly the dependency versions and integrity hashes this checkout
# was tested with, not whatever the package.json ranges resolve to that day: the operator image's
# build runs `npm ci --omit=dev --ignore-scripts` over it inside the unpacked package (npm itself
# honours a package's shrinkwrap only when it comes from a registry, not from a local .tgz). The
# postpack script removes the file again, so the checkout keeps one lockfile: package-lock.json.
set -o errexit -o nounset -o pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib/common.sh"

usage() { echo "usage: hack/shrinkwrap.sh [--remove]   (writes npm-shrinkwrap.json next to package.json)" >&2; }
case "${1:-}" in
  -h|--help) usage; exit 0 ;;
  --remove) rm -f "${SWARMOP_ROOT}/npm-shrinkwrap.json"; exit 0 ;;
  '') ;;
  *) usage; exit 2 ;;
esac

cd "${SWARMOP_ROOT}"
[[ -s package-lock.json ]] || die "package-lock.json missing: run npm install"
node - <<'NODE'
const fs = require('node:fs');
const pkg = JSON.parse(fs.readFileSync('package.json', 'utf8'));
const lock = JSON.parse(fs.readFileSync('package-lock.json', 'utf8'));
const root = lock.packages?.[''];
const fail = (m) => { console.error(`[shrinkwrap.sh] error: ${m}`); process.exit(1); };
if (lock.lockfileVersion < 2 || !root) fail('package-lock.json is not a lockfile v2/v3: run npm install with npm >= 7');
if (lock.name !== pkg.name || lock.version !== pkg.version) fail(`package-lock.json is for ${lock.name}@${lock.version}, package.json is ${pkg.name}@${pkg.version}: run npm install`);
// The lock must still describe package.json's dependencies (a hand-edited range would not be in it).
for (const field of ['dependencies', 'devDependencies', 'optionalDependencies', 'peerDependencies']) {
  if (JSON.stringify(root[field] ?? {}) !== JSON.stringify(pkg[field] ?? {})) fail(`package-lock.json's ${field} differ from package.json's: run npm install`);
}
for (const [path, entry] of Object.entries(lock.packages)) {
  // The integrity hash pins the content; the registry it comes from is the installer's.
  if (path !== '' && !entry.link && (!entry.version || !entry.integrity)) fail(`package-lock.json's ${path} has no pinned version and integrity hash`);
}
// The whole lock, development entries too: `npm ci` (the operator image's build) checks that the
// lock matches package.json, devDependencies included, and skips them with --omit=dev.
const out = lock;
fs.writeFileSync('npm-shrinkwrap.json', `${JSON.stringify(out, null, 2)}\n`);
console.error(`[shrinkwrap.sh] wrote npm-shrinkwrap.json (${Object.keys(lock.packages).length - 1} packages)`);
NODE
