#!/usr/bin/env bash
# Quick start, command 1: on a fresh machine, install what is needed, build swarmop, start the lab
# (store Consul + three Docker-in-Docker hosts), run the operator, apply manifests/, show
# `swarmop get` for every kind, then stream the operator's logs. Ctrl-C stops the operator; the lab
# stays up until `hack/lab.sh down`.
#
# usage: hack/local-up.sh
# env:   SWARMOP_PREFIX (default swarmop/)  LOCAL_UP_FOLLOW=0 (do not stream logs; operator keeps running)
#        LOCAL_UP_WAIT (s to wait for Ready, default 180)  OPERATOR_LOG_FORMAT (text|json, default text)
set -o errexit -o nounset -o pipefail

cd "$(dirname "$0")/.."
root="$PWD"
state="$root/.lab"
mkdir -p "$state"
pid_file="$state/operator.pid"
op_log="$state/operator.log"
follow="${LOCAL_UP_FOLLOW:-1}"
wait_s="${LOCAL_UP_WAIT:-180}"
export SWARMOP_PREFIX="${SWARMOP_PREFIX:-swarmop/}"

say() { printf '\n== %s\n' "$*"; }

say "installing packages and Consul (hack/install.sh)"
hack/install.sh

if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  say "npm ci"
  npm ci --no-audit --no-fund
fi
say "building swarmop"
npm run --silent build
# The network helper image the operator imports into each host (no registry, no docker load).
hack/helper-rootfs.sh

say "starting the lab (hack/lab.sh up)"
hack/lab.sh up
# shellcheck disable=SC1091
source "$state/env"
export CONSUL_HTTP_ADDR
swarmop() { node "$root/bin/swarmop.js" "$@"; }

# One operator per checkout: replace a previous one (ours, by its PID file).
if [ -s "$pid_file" ] && kill -0 "$(cat "$pid_file")" 2>/dev/null; then
  say "stopping the previous operator (pid $(cat "$pid_file"))"
  kill -TERM "$(cat "$pid_file")"
  for _ in $(seq 1 100); do kill -0 "$(cat "$pid_file")" 2>/dev/null || break; sleep 0.1; done
fi
say "starting the operator (log: $op_log)"
: >"$op_log"
# The lab's engines listen on plain tcp :2375 (the seed's setup): swarm join tokens and Consul
# secrets may go to them only with --allow-insecure-engines. Real hosts use TLS (:2376).
nohup node "$root/bin/swarmop.js" operator --log-format "${OPERATOR_LOG_FORMAT:-text}" --metrics-addr 127.0.0.1:9464 --allow-insecure-engines >>"$op_log" 2>&1 &
echo $! >"$pid_file"

# manifests/ as it is for the default lab, rewritten for SWARMOP_LAB_SUBNET/HOSTS/WORKLOADS otherwise.
say "applying ${LAB_MANIFESTS:-manifests/}"
swarmop apply -f "${LAB_MANIFESTS:-manifests/}"

say "waiting up to ${wait_s}s for every object to be Ready"
deadline=$((SECONDS + wait_s))
for kind in dockerhost consulcluster swarmcluster staticipattachment; do
  for name in $(swarmop get "$kind" -o name 2>/dev/null | sed 's|.*/||'); do
    left=$((deadline - SECONDS)); ((left > 0)) || left=1
    swarmop wait "$kind/$name" --for=condition=Ready --timeout="${left}s" || echo "  $kind/$name is not Ready yet (see: swarmop describe $kind $name)"
  done
done

for kind in dockerhosts consulclusters swarmclusters staticipattachments; do
  say "swarmop get $kind"
  swarmop get "$kind" -o wide || true
done
cat <<EOF2

The operator runs in the background (pid $(cat "$pid_file"), metrics on http://127.0.0.1:9464/metrics).
Try:  export CONSUL_HTTP_ADDR=$CONSUL_HTTP_ADDR
      node bin/swarmop.js get sia            # or npx swarmop get sia
      DOCKER_HOST=$(cut -d, -f2 <<<"$LAB_HOSTS" | cut -d= -f2) docker restart $(cut -d@ -f1 <<<"$LAB_WORKLOADS")   # and watch the repair below
Stop the lab with: hack/lab.sh down
EOF2

if [ "$follow" = 1 ]; then
  say "operator logs (Ctrl-C stops the operator; the lab stays up)"
  stop_operator() {
    if [ -s "$pid_file" ] && kill -0 "$(cat "$pid_file")" 2>/dev/null; then
      kill -TERM "$(cat "$pid_file")" || true
      for _ in $(seq 1 150); do kill -0 "$(cat "$pid_file")" 2>/dev/null || break; sleep 0.1; done
    fi
    rm -f "$pid_file"
  }
  trap 'stop_operator; exit 0' INT TERM
  tail -n +1 -f "$op_log" &
  tail_pid=$!
  wait "$tail_pid"
fi
