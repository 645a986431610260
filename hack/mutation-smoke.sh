#!/usr/bin/env bash
# Mutation smoke test: breaks one chosen production line at a time in a temporary copy of the tree
# and runs the tests that should notice. Each mutant must turn them red ("killed"); a mutant the
# tests survive is a hole in the suite and makes this script exit 1. A test that is red on the
# mutant is run again on an unchanged copy (the control): red there too (a missing lab, a broken
# test) proves nothing, so it does not count as a kill.
#
#   address  the address the network helper sets inside the container gets the wrong prefix
#            (staticipattachment/execute.ts, `ip addr replace <cidr>` in the container's namespace)
#   rejoin   the explicit join of a failed Consul member is not sent
#            (consulcluster/execute.ts, joinVia)
#   cas      the store's compare-and-set writes without its index check
#            (store/consul-kv.ts, ConsulKv.cas)
#   fence    the leader fence is taken off the Docker clients: a replica that lost the leader lock
#            still sends changes to the engines (docker/fenced-docker.ts, fenceDockerClient)
#
# usage: hack/mutation-smoke.sh [address|rejoin|cas|fence ...]     (default: all four)
# The address and rejoin tests use the lab (hack/lab.sh up); the script takes the lab lock
# (/tmp/swarmop-lab.lock, or $SWARMOP_LAB_LOCK) around each lab test file, so do not run it under it.
# A lab test file runs only the tests named by its pattern (node --test-name-pattern): the ones
# that exercise the broken line, plus what they build on.
set -o errexit -o nounset -o pipefail
cd "$(dirname "$0")/.."
root="$PWD"
lock="${SWARMOP_LAB_LOCK:-/tmp/swarmop-lab.lock}"
mutants=("$@")
[ ${#mutants[@]} -gt 0 ] || mutants=(address rejoin cas fence)

# name -> file | exact text | replacement | unit tests | lab tests | name pattern of the lab tests
#         | build (1: the tests start the built CLI, so the copy is built first)
define() {
  build=0
  case "$1" in
    address)
      file=src/controllers/staticipattachment/execute.ts
      from="mustIn(step.netns, 'addr', 'replace', step.cidr, 'dev', step.iface)"
      to="mustIn(step.netns, 'addr', 'replace', step.cidr.replace(/\\/\\d+\$/, '/32'), 'dev', step.iface)"
      tests=(src/controllers/staticipattachment/execute.test.ts)
      lab_tests=(src/controllers/staticipattachment/staticip.int.test.ts)
      lab_pattern='^attaches containers on two hosts' ;;
    rejoin)
      file=src/controllers/consulcluster/execute.ts
      from=$'joinVia(step.via, step.target, o.http),\n        ...others.map((v) => joinVia(v, step.target, o.http)),'
      to=$'Promise.resolve(),\n        ...others.map(() => Promise.resolve()),'
      tests=(src/controllers/consulcluster/plan.test.ts)
      lab_tests=(src/controllers/consulcluster/consulcluster.int.test.ts)
      lab_pattern='^(forms a cluster from nothing|a member cut off)' ;;
    cas)
      file=src/store/consul-kv.ts
      from="this.client.kv.set({ key, value, cas: index, ctx, timeout: this.requestTimeoutMs } as never),"
      to="this.client.kv.set({ key, value, ctx, timeout: this.requestTimeoutMs } as never),"
      tests=(src/store/consul-kv.int.test.ts src/store/resource-store.int.test.ts)
      lab_tests=()
      lab_pattern='' ;;
    fence)
      file=src/docker/fenced-docker.ts
      from="    if (isChangingMethod(options.method)) {"
      to="    if (isChangingMethod(options.method) && options.path === '/never') {"
      tests=(src/docker/fenced-docker.test.ts src/operator/leader-fencing.int.test.ts)
      lab_tests=()
      lab_pattern=''
      build=1 ;;
    *) echo "unknown mutant $1 (address|rejoin|cas|fence)" >&2; exit 2 ;;
  esac
}

work="$(mktemp -d /tmp/swarmop-mutant.XXXXXX)"
trap 'rm -rf "$work"' EXIT
results=()
survived=0

run_one() { # dir file [name pattern] -> prints "red (<first failing test>)" or "green (...)"
  local dir="$1" f="$2" pattern="${3:-}" out rc
  local args=(--import tsx --test --test-concurrency=1 --test-reporter=spec)
  [ -z "$pattern" ] || args+=(--test-name-pattern="$pattern")
  out="$(mktemp)"
  set +o errexit
  (cd "$dir" && node "${args[@]}" "$f") >"$out" 2>&1
  rc=$?
  set -o errexit
  if [ "$rc" -ne 0 ]; then
    printf 'red (%s)' "$(grep -aE '^\s*✖ ' "$out" | grep -v ' failing tests' | head -n 1 | sed -E 's/^\s*✖ //; s/ \([0-9.]+ms\)$//' | cut -c1-150)"
  else
    printf 'green (%s)' "$(grep -aE '^ℹ pass ' "$out" | tail -n 1)"
  fi
  cp "$out" "$work/last-$(basename "$f").log"
  rm -f "$out"
}

copy_tree() { # dir: the working tree as git sees it, with node_modules, .cache and .lab linked
  mkdir -p "$1"
  git ls-files -co --exclude-standard -z | grep -zv '^e2e/artifacts/' | tar --null -T - -c | tar -x -C "$1"
  for l in node_modules .cache .lab; do [ -e "$root/$l" ] && ln -s "$(readlink -f "$root/$l")" "$1/$l"; done
  # The helper's root filesystem is built, not tracked: the tests that import the helper image need it.
  mkdir -p "$1/assets"
  for f in "$root"/assets/*; do [ -e "$f" ] && [ ! -e "$1/assets/$(basename "$f")" ] && ln -s "$f" "$1/assets/"; done
  return 0
}
control="$work/control"
copy_tree "$control"

# mutant dir file pattern lab(0|1): runs on the mutant, then (when red) on the control; records it
check() {
  local m="$1" dir="$2" t="$3" pattern="$4" lab="$5" r c where=""
  if [ "$lab" = 1 ]; then
    where=" (lab)"
    r="$(flock "$lock" bash -c "$(declare -f run_one); work='$work'; run_one '$dir' '$t' '$pattern'")"
  else
    r="$(run_one "$dir" "$t" "$pattern")"
  fi
  case "$r" in
    red*)
      if [ "$lab" = 1 ]; then
        c="$(flock "$lock" bash -c "$(declare -f run_one); work='$work'; run_one '$control' '$t' '$pattern'")"
      else
        c="$(run_one "$control" "$t" "$pattern")"
      fi
      case "$c" in
        green*) killed=1; r="$r; green without the mutant" ;;
        *) r="$r, but also without the mutant: $c" ;;
      esac ;;
  esac
  echo "   $t$where: $r"
  results+=("$m	$t	$r")
}

for m in "${mutants[@]}"; do
  define "$m"
  dir="$work/$m"
  copy_tree "$dir"
  node -e '
    const fs = require("fs"); const [file, from, to] = process.argv.slice(1);
    const s = fs.readFileSync(file, "utf8"); const n = s.split(from).length - 1;
    if (n !== 1) { console.error(`mutation-smoke: expected the text once in ${file}, found it ${n} times: ${from}`); process.exit(2); }
    fs.writeFileSync(file, s.replace(from, to));
    fs.writeFileSync(file + ".line", String(s.slice(0, s.indexOf(from)).split("\n").length));
  ' "$dir/$file" "$from" "$to"
  line="$(cat "$dir/$file.line")"; rm -f "$dir/$file.line"
  echo "== mutant $m: $file:$line"
  echo "   - $from"
  echo "   + $to"
  if [ "$build" = 1 ]; then
    for d in "$dir" "$control"; do
      [ "$d" != "$control" ] || [ ! -d "$control/dist" ] || continue
      (cd "$d" && npm run --silent build) >"$work/build.log" 2>&1 || { echo "mutation-smoke: npm run build failed in $d:" >&2; tail -n 20 "$work/build.log" >&2; exit 1; }
    done
  fi
  killed=0
  for t in "${tests[@]}"; do check "$m" "$dir" "$t" '' 0; done
  for t in "${lab_tests[@]}"; do check "$m" "$dir" "$t" "$lab_pattern" 1; done
  if [ "$killed" = 1 ]; then echo "   => killed"; else echo "   => SURVIVED: no test went red because of it"; survived=$((survived + 1)); fi
  rm -rf "$dir"
done

echo "== mutation smoke summary"
printf '%s\n' "${results[@]}"
if [ "$survived" -gt 0 ]; then echo "$survived mutant(s) survived" >&2; exit 1; fi
echo "every mutant was killed"
