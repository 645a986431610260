# shellcheck shell=bash
# Shared helpers for hack/ scripts. Source it; it defines functions only (no side effects).

# Repository root, whatever the caller's working directory.
SWARMOP_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
# Per-machine state (PID files, logs, generated files); gitignored.
SWARMOP_LAB_DIR="${SWARMOP_LAB_DIR:-${SWARMOP_ROOT}/.lab}"

log() { printf '%s %s\n' "[$(basename "$0")]" "$*" >&2; }
die() { log "error: $*"; exit 1; }

# wait_until TIMEOUT_SECONDS DESCRIPTION CMD... : polls CMD every 0.2 s until it succeeds.
# CMD exiting with 99 means "will never succeed": stop waiting at once.
wait_until() {
  local timeout="$1" what="$2" rc; shift 2
  local deadline=$((SECONDS + timeout))
  while true; do
    rc=0; "$@" >/dev/null 2>&1 || rc=$?
    ((rc == 0)) && return 0
    ((rc == 99)) && { log "gave up waiting for ${what}"; return 1; }
    if ((SECONDS >= deadline)); then
      log "timed out after ${timeout}s waiting for ${what}"
      return 1
    fi
    sleep 0.2
  done
}

# pid_alive PIDFILE : true when the file names a running process.
pid_alive() {
  local pid
  [[ -s "$1" ]] || return 1
  pid="$(cat "$1")"
  [[ "$pid" =~ ^[0-9]+$ ]] && kill -0 "$pid" 2>/dev/null
}

# stop_pid PIDFILE TIMEOUT_SECONDS : TERM the process named in PIDFILE, wait, then KILL.
stop_pid() {
  local file="$1" timeout="${2:-20}" pid
  pid_alive "$file" || { rm -f "$file"; return 0; }
  pid="$(cat "$file")"
  kill -TERM "$pid" 2>/dev/null || true
  if ! wait_until "$timeout" "process ${pid} to exit" bash -c "! kill -0 ${pid}"; then
    kill -KILL "$pid" 2>/dev/null || true
    wait_until 5 "process ${pid} to die" bash -c "! kill -0 ${pid}" || true
  fi
  rm -f "$file"
}

# debian_mirror [DEB822_FILE] : the first main-archive (not -security) URI of the system's apt
# sources, from DEB822_FILE (default /etc/apt/sources.list.d/debian.sources) or else from
# /etc/apt/sources.list. The mirror comes from the machine's configuration, never from this repository.
debian_mirror() {
  local sources="${1:-/etc/apt/sources.list.d/debian.sources}" uri=''
  if [[ -r "$sources" ]]; then
    uri="$(awk '/^URIs:/ { for (i = 2; i <= NF; i++) if ($i !~ /security/) { print $i; exit } }' "$sources")"
  fi
  if [[ -z "$uri" && -r /etc/apt/sources.list ]]; then
    uri="$(awk '$1 == "deb" && $0 !~ /security/ { for (i = 2; i <= NF; i++) if ($i ~ /^[a-z]+:\/\//) { print $i; exit } }' /etc/apt/sources.list)"
  fi
  [[ -n "$uri" ]] || die "no Debian mirror found in ${sources} or /etc/apt/sources.list"
  printf '%s\n' "$uri"
}
