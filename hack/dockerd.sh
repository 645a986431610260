#!/usr/bin/env bash
# Runs a Debian dockerd of our own next to any other engine on the machine: own socket, data root,
# exec root, PID file and no default bridge, so it never collides with another dockerd.
set -o errexit -o nounset -o pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib/common.sh"

usage() {
  cat >&2 <<USAGE
usage: hack/dockerd.sh start|stop|status [NAME]   (NAME defaults to "lab")
  env: DOCKERD_START_TIMEOUT (s, default 60)  DOCKERD_STOP_TIMEOUT (s, default 30)
       DOCKERD_IPTABLES (true|false; default true for "lab", false otherwise: two engines that both
       program iptables wipe each other's chains)  DOCKERD_EXTRA_ARGS (appended to dockerd's flags)
       DOCKERD_RUN_PROPAGATION (shared|slave, default shared: how the run folder is mounted, see start())
       DOCKERD_OWN_NAMESPACES=1: the engine gets a network and a mount namespace of its own (only lo),
       so its "host" is not this machine's: what it does to its host's links, routes and mounts is
       seen in /proc/PID/ns and /proc/PID/mounts (PID in the PID file), apart from everyone else's
  start prints DOCKER_HOST=unix:///run/swarmop-NAME/docker.sock on stdout.
USAGE
}

cmd="${1:-}"
name="${2:-lab}"
[[ "$name" =~ ^[a-z0-9][a-z0-9-]{0,30}$ ]] || { usage; die "bad NAME '${name}'"; }

run_dir="/run/swarmop-${name}"
socket="${run_dir}/docker.sock"
docker_host="unix://${socket}"
pid_file="${run_dir}/dockerd.pid"
data_root="/var/lib/swarmop-${name}"
# exec-root holds containerd's sockets: keep the path short (unix socket paths are limited to 108 bytes).
exec_root="${run_dir}/x"
log_file="${SWARMOP_LAB_DIR}/dockerd-${name}.log"
start_timeout="${DOCKERD_START_TIMEOUT:-60}"
stop_timeout="${DOCKERD_STOP_TIMEOUT:-30}"
if [[ "$name" == lab ]]; then iptables="${DOCKERD_IPTABLES:-true}"; else iptables="${DOCKERD_IPTABLES:-false}"; fi

# starting PID: succeeds once the engine answers; 99 (give up) when PID died first.
starting() {
  engine_answers && return 0
  kill -0 "$1" 2>/dev/null || return 99
  return 1
}

engine_answers() { DOCKER_HOST="$docker_host" docker info --format '{{.ID}}' >/dev/null 2>&1; }

start() {
  if pid_alive "$pid_file" && engine_answers; then
    echo "DOCKER_HOST=${docker_host}"
    return 0
  fi
  command -v dockerd >/dev/null || die "dockerd not installed: run hack/install.sh"
  # A dead engine leaves its PID file and socket behind; dockerd refuses to start over a live PID.
  if pid_alive "$pid_file"; then
    log "dockerd ${name} runs but does not answer; waiting"
  else
    rm -f "$pid_file" "$socket"
    mkdir -p "$run_dir" "$data_root" "$exec_root" "$(dirname "$log_file")"
    # The network helper bind-mounts the engine's netns folder (<exec-root>/netns) with rslave
    # propagation, so that namespaces of containers started later appear in it: Docker refuses that
    # unless the folder sits on a shared (or slave) mount. A systemd host's / is shared; this
    # machine's may be private, so the engine's run folder is made a shared mount of its own.
    # DOCKERD_RUN_PROPAGATION=slave instead stacks a slave on it, as a Docker-in-Docker host's / is
    # unless made rshared: the engine accepts the helper's mount there, but new namespaces never reach it.
    if ! mountpoint -q "$run_dir"; then
      mount --bind "$run_dir" "$run_dir"
      mount --make-shared "$run_dir"
      if [[ "${DOCKERD_RUN_PROPAGATION:-shared}" == slave ]]; then
        mount --bind "$run_dir" "$run_dir"
        mount --make-slave "$run_dir"
      fi
    fi
    # Own namespaces: unshare makes every mount private in the new mount namespace; the run folder is
    # made shared again there (the helper's rslave mount of the netns folder needs it), and lo is up.
    # unshare and sh exec, so the PID dockerd writes is this child's.
    local wrap=()
    if [[ "${DOCKERD_OWN_NAMESPACES:-0}" == 1 ]]; then
      wrap=(unshare --net --mount --propagation private -- sh -c 'mount --make-shared "$0" && ip link set lo up && exec "$@"' "$run_dir")
    fi
    # shellcheck disable=SC2086
    # fds 3-9 closed: a daemon must not inherit a caller's lock (flock FILE hack/lab.sh up) and hold it forever.
    setsid "${wrap[@]}" dockerd 3>&- 4>&- 5>&- 6>&- 7>&- 8>&- 9>&- \
      --host "$docker_host" \
      --data-root "$data_root" \
      --exec-root "$exec_root" \
      --pidfile "$pid_file" \
      --bridge none \
      --iptables="$iptables" \
      --cgroup-parent "/swarmop-${name}" \
      --storage-driver overlay2 \
      --log-level warn \
      ${DOCKERD_EXTRA_ARGS:-} \
      </dev/null >>"$log_file" 2>&1 &
    local child=$!
    # dockerd writes its PID file itself; fail fast if it exits before answering.
    if ! wait_until "$start_timeout" "dockerd ${name} to answer on ${socket}" starting "$child"; then
      tail -n 20 "$log_file" >&2 || true
      die "dockerd ${name} did not start (log: ${log_file})"
    fi
  fi
  if ! wait_until "$start_timeout" "dockerd ${name} to answer on ${socket}" engine_answers; then
    tail -n 20 "$log_file" >&2 || true
    die "dockerd ${name} did not start (log: ${log_file})"
  fi
  echo "DOCKER_HOST=${docker_host}"
}

# dockerd leaves mounts behind (its netns file, a private bind of the data root): release ours.
unmount_leftovers() {
  local m
  for m in $(awk -v a="$run_dir" -v b="$data_root" \
      '$2 == a || $2 == b || index($2, a "/") == 1 || index($2, b "/") == 1 {print $2}' /proc/mounts | sort -r); do
    umount -l "$m" 2>/dev/null || true
  done
}

stop() {
  if pid_alive "$pid_file"; then
    stop_pid "$pid_file" "$stop_timeout"
  fi
  rm -f "$pid_file" "$socket"
  unmount_leftovers
}

status() {
  if pid_alive "$pid_file" && engine_answers; then
    echo "dockerd ${name}: running (pid $(cat "$pid_file")) DOCKER_HOST=${docker_host}"
  elif pid_alive "$pid_file"; then
    echo "dockerd ${name}: running (pid $(cat "$pid_file")) but not answering on ${socket}"
    return 1
  else
    echo "dockerd ${name}: stopped"
    return 3
  fi
}

case "$cmd" in
  start) start ;;
  stop) stop ;;
  status) status ;;
  -h|--help|help) usage ;;
  *) usage; exit 2 ;;
esac
