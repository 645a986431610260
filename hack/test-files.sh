#!/usr/bin/env bash
# The test files of one suite, one per line, in the order they run: the one place that says which
# files are unit tests, lab/integration tests and e2e specs (hack/test.sh and the npm scripts use it).
#   unit: *.test.ts under src/, testing/ and hack/lib/ (fakes and fixtures only, no real Consul or Docker)
#   int:  *.int.test.ts under src/, testing/ and hack/lib/ (real Consul agents and dockerd; the lab for lab suites)
#   e2e:  e2e/*.spec.ts (the operator process on the lab)
# With --exclusive only the files that need the lab to themselves (e2e specs, integration tests that
# call labSkip, and files marked `swarmop-test: exclusive`, e.g. those that rebuild dist/); with --shared only the others.
# hack/test.sh runs the exclusive ones one after another and the shared ones beside them.
# usage: hack/test-files.sh unit|int|e2e|all [--exclusive|--shared]
set -o errexit -o nounset -o pipefail
cd "$(dirname "$0")/.."
unit() { find src testing hack/lib -name '*.test.ts' ! -name '*.int.test.ts' | sort; }
int() { find src testing hack/lib -name '*.int.test.ts' | sort; }
e2e() { find e2e -maxdepth 1 -name '*.spec.ts' | sort; }
is_exclusive() {
  case "$1" in
    e2e/*) return 0 ;;
    *.int.test.ts) grep -qE 'labSkip\(|swarmop-test: exclusive' "$1" ;;
    *) grep -q 'swarmop-test: exclusive' "$1" ;;
  esac
}
list() {
  case "$1" in
    unit) unit ;;
    int) int ;;
    e2e) e2e ;;
    all) unit; int; e2e ;;
    *) echo "usage: $0 unit|int|e2e|all [--exclusive|--shared]" >&2; exit 2 ;;
  esac
}
files="$(list "${1:-}")"
case "${2:-}" in
  '') printf '%s\n' "$files" ;;
  --exclusive) while read -r f; do if is_exclusive "$f"; then echo "$f"; fi; done <<<"$files" ;;
  --shared) while read -r f; do if ! is_exclusive "$f"; then echo "$f"; fi; done <<<"$files" ;;
  *) echo "usage: $0 unit|int|e2e|all [--exclusive|--shared]" >&2; exit 2 ;;
esac
