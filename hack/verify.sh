#!/usr/bin/env bash
# Static checks of the whole tree, each printing every finding (not only the first), run by
# hack/test.sh before any test:
#   - typecheck: tsc over src/, testing/, e2e/, bench/ and hack/lib/ (tsconfig.json)
#   - lint: eslint with the small rule set of eslint.config.js
#   - the scripts: Debian's shellcheck over every hack/**/*.sh (warnings and errors)
#   - imports: the layer rules and no import cycles (hack/lib/import-graph.ts says which)
#   - format: prettier --check over the TypeScript and JavaScript (.prettierrc.json; fix with `npm run format`)
#
# usage: hack/verify.sh [typecheck|lint|shellcheck|imports|format]...   (default: all of them)
set -o errexit -o nounset -o pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib/common.sh"
cd "${SWARMOP_ROOT}"

usage() { echo "usage: $0 [typecheck|lint|shellcheck|imports|format]..." >&2; }
checks=("$@")
((${#checks[@]} > 0)) || checks=(typecheck lint shellcheck imports format)
for c in "${checks[@]}"; do
  case "$c" in
    typecheck|lint|shellcheck|imports|format) ;;
    -h|--help) usage; exit 0 ;;
    *) usage; exit 2 ;;
  esac
done

typecheck() { npx --no-install tsc -p tsconfig.json --noEmit; }
lint() { npx --no-install eslint --max-warnings 0 src testing e2e bench hack/lib; }
shellcheck_hack() {
  command -v shellcheck >/dev/null || die "shellcheck is not installed (hack/install.sh installs Debian's package)"
  local scripts=()
  mapfile -t scripts < <(find hack -name '*.sh' | sort)
  shellcheck --severity=warning "${scripts[@]}"
}
imports() {
  local files=()
  mapfile -t files < <(git ls-files --cached --others --exclude-standard 'src/*.ts' 'testing/*.ts' 'e2e/*.ts' 'bench/*.ts' 'hack/*.ts' | sort)
  node --import tsx hack/lib/verify-imports-main.ts "$PWD" "${files[@]}"
}
format() { npx --no-install prettier --check --log-level warn '**/*.{ts,mts,cts,js,mjs,cjs}'; }

# The checks run side by side (each is one single-threaded process; tsc and eslint take most of the
# time), each into its own file, printed in order once done, so the findings are never interleaved.
out_dir="$(mktemp -d "${TMPDIR:-/tmp}/swarmop-verify.XXXXXX")"
trap 'rm -rf "$out_dir"' EXIT
declare -A pids=()
for c in "${checks[@]}"; do
  fn="$c"
  [[ "$c" != shellcheck ]] || fn=shellcheck_hack
  "$fn" >"$out_dir/$c" 2>&1 &
  pids[$c]=$!
done
failed=()
for c in "${checks[@]}"; do
  rc=0
  wait "${pids[$c]}" || rc=$?
  printf '== verify: %s\n' "$c"
  cat "$out_dir/$c"
  ((rc == 0)) || failed+=("$c")
done
if ((${#failed[@]} > 0)); then
  echo "hack/verify.sh: failed: ${failed[*]}" >&2
  exit 1
fi
echo "hack/verify.sh: ${checks[*]}: clean"
