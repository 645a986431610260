#!/usr/bin/env bash
# The local lab: the reference topology (three hosts running Consul servers and a swarm, two
# fixed-IP workloads) on one machine. Three Docker-in-Docker "hosts" (consulsvr, consul01,
# consul02) on an --internal network, each with its own engine on tcp :2375, a store Consul on
# loopback for swarmop's documents, and two fixed-IP test workloads.
set -o errexit -o nounset -o pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib/common.sh"

usage() {
  cat >&2 <<USAGE
usage: hack/lab.sh up|down|status|host-stop NAME|host-start NAME|host-exec NAME CMD...|env|dc2-up|dc2-down
  env: SWARMOP_LAB_SUBNET (a /24, default 192.168.116.0/24; the gateway is its .1)
       SWARMOP_LAB_HOSTS (three host names NAME[=OCTET], default "consulsvr consul01 consul02",
         addresses .111 .112 .113 unless given; the first is the Consul bootstrap server and
         swarm manager, the others workers)
       SWARMOP_LAB_WORKLOADS (fixed-IP test containers NAME[=OCTET][@HOST], default
         "ubuntu114=114 ubuntu119=119": the i-th runs on the (i+1)-th host)
       SWARMOP_LAB_DC2_HOST (the second datacenter's host NAME[=OCTET], default "consuldc2" on the
         lowest free address from .111 up; created only by dc2-up, removed by dc2-down or down)
       SWARMOP_STORE_PORT (store Consul HTTP port on 127.0.0.1, default 8500)
       LAB_WORKLOADS (1: run the workload containers; 0: skip)
       LAB_HOST_STORAGE (volume: a host's /var/lib/docker survives its restart [default]; tmpfs: lost)
       LAB_STOP_TIMEOUT (s, docker stop timeout of host-stop, default 10)
       LAB_START_TIMEOUT (s, wait for an inner engine, default 90)
  The settings of a running lab (.lab/settings, written by up, removed by down) are the defaults of
  every later command.
  After up: set -a; . .lab/env; set +a   (CONSUL_HTTP_ADDR, DOCKER_HOST of the lab's outer engine,
  the settings above as LAB_*); .lab/manifests/ holds manifests/ rewritten for these settings.
USAGE
}

LAB_NAME=lab
export DOCKER_HOST="unix:///run/swarmop-${LAB_NAME}/docker.sock"
NETWORK=swarmop-lab
# The settings a running lab was started with (written by up, removed by down) are the defaults
# of every later command, so `hack/lab.sh host-stop h2` needs no settings repeated.
if [[ -r "${SWARMOP_LAB_DIR}/settings" ]]; then
  while IFS='=' read -r key value; do
    case "$key" in
      SWARMOP_LAB_SUBNET|SWARMOP_LAB_HOSTS|SWARMOP_LAB_WORKLOADS|SWARMOP_LAB_DC2_HOST) [[ -n "${!key:-}" ]] || printf -v "$key" '%s' "$value" ;;
    esac
  done <"${SWARMOP_LAB_DIR}/settings"
fi
# The reference topology's subnet and names by default (.111-.113 hosts, .114/.119 workloads); any /24 and any three names work the same.
SUBNET="${SWARMOP_LAB_SUBNET:-192.168.116.0/24}"
[[ "$SUBNET" =~ ^([0-9]{1,3}\.[0-9]{1,3}\.[0-9]{1,3})\.0/24$ ]] \
  || die "SWARMOP_LAB_SUBNET must be a /24 written A.B.C.0/24, got '${SUBNET}'"
NET_PREFIX="${BASH_REMATCH[1]}"
GATEWAY="${NET_PREFIX}.1"
read -r -a host_settings <<<"$(tr ',' ' ' <<<"${SWARMOP_LAB_HOSTS:-consulsvr consul01 consul02}")"
read -r -a workload_settings <<<"$(tr ',' ' ' <<<"${SWARMOP_LAB_WORKLOADS:-ubuntu114=114 ubuntu119=119}")"
((${#host_settings[@]} == 3)) || die "SWARMOP_LAB_HOSTS must name three hosts, got '${host_settings[*]}'"
name_ok() { [[ "$1" =~ ^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$ ]]; }
octet_ok() { [[ "$1" =~ ^[0-9]{1,3}$ ]] && (($1 >= 2 && $1 <= 254)); }
# name:last-octet
HOSTS=()
for i in "${!host_settings[@]}"; do
  h="${host_settings[$i]}"; name="${h%%=*}"; octet=$((111 + i))
  [[ "$h" == *=* ]] && octet="${h#*=}"
  name_ok "$name" && octet_ok "$octet" || die "SWARMOP_LAB_HOSTS: '${h}' is not NAME[=OCTET] (a DNS label, an octet 2-254)"
  HOSTS+=("${name}:${octet}")
done
# workload:host:last-octet
WORKLOADS=()
for i in "${!workload_settings[@]}"; do
  w="${workload_settings[$i]}"; host="${HOSTS[$((1 + i % 2))]%%:*}"; octet=$((114 + 5 * i))
  [[ "$w" == *@* ]] && { host="${w#*@}"; w="${w%%@*}"; }
  [[ "$w" == *=* ]] && octet="${w#*=}"
  name="${w%%=*}"
  name_ok "$name" && octet_ok "$octet" || die "SWARMOP_LAB_WORKLOADS: '${workload_settings[$i]}' is not NAME[=OCTET][@HOST]"
  [[ " ${HOSTS[*]%%:*} " == *" ${host} "* ]] || die "SWARMOP_LAB_WORKLOADS: '${workload_settings[$i]}' names an unknown host '${host}'"
  WORKLOADS+=("${name}:${host}:${octet}")
done
# The second datacenter's host (a WAN peer of the first): on demand only, so it costs nothing
# while no spec federates; its address defaults to the lowest octet no host or workload uses.
dc2_setting="${SWARMOP_LAB_DC2_HOST:-consuldc2}"
DC2_NAME="${dc2_setting%%=*}"
if [[ "$dc2_setting" == *=* ]]; then
  DC2_OCTET="${dc2_setting#*=}"
else
  used=" ${HOSTS[*]##*:} ${WORKLOADS[*]##*:} ${GATEWAY##*.} "
  for ((DC2_OCTET = 111; DC2_OCTET <= 254; DC2_OCTET++)); do [[ "$used" == *" ${DC2_OCTET} "* ]] || break; done
fi
name_ok "$DC2_NAME" && octet_ok "$DC2_OCTET" || die "SWARMOP_LAB_DC2_HOST: '${dc2_setting}' is not NAME[=OCTET] (a DNS label, an octet 2-254)"
[[ " ${HOSTS[*]%%:*} " != *" ${DC2_NAME} "* && " ${HOSTS[*]##*:} ${WORKLOADS[*]##*:} " != *" ${DC2_OCTET} "* ]] \
  || die "SWARMOP_LAB_DC2_HOST: '${dc2_setting}' collides with a lab host or workload"
DC2_IMAGES=(hashicorp/consul:1.8.7)
unset i h w name host octet used dc2_setting
DIND_IMAGE=swarmop/dind-host:lab
# Images the hosts need locally (no registry): Consul agents, the StaticIP helper, the workloads.
WORKLOAD_IMAGE=swarmop/workload:lab
HOST_IMAGES=(hashicorp/consul:1.8.7 swarmop/nethelper:lab "$WORKLOAD_IMAGE")
LABEL=io.swarmop.lab=1

store_port="${SWARMOP_STORE_PORT:-8500}"
store_pid="${SWARMOP_LAB_DIR}/store-consul.pid"
store_log="${SWARMOP_LAB_DIR}/store-consul.log"
workloads="${LAB_WORKLOADS:-1}"
host_storage="${LAB_HOST_STORAGE:-volume}"
stop_timeout="${LAB_STOP_TIMEOUT:-10}"
start_timeout="${LAB_START_TIMEOUT:-90}"

host_ip() {
  local h
  for h in "${HOSTS[@]}" "${DC2_NAME}:${DC2_OCTET}"; do [[ "${h%%:*}" == "$1" ]] && { echo "${NET_PREFIX}.${h##*:}"; return 0; }; done
  die "unknown lab host '$1' (hosts: ${HOSTS[*]%%:*})"
}
host_docker() { local ip; ip="$(host_ip "$1")"; shift; DOCKER_HOST="tcp://${ip}:2375" timeout 20 docker "$@"; }
host_answers() { DOCKER_HOST="tcp://$(host_ip "$1"):2375" timeout 3 docker version --format '{{.Server.Version}}' >/dev/null 2>&1; }
# state NAME on the current engine: running, exited, created, ... or missing.
container_state() { local s; s="$(docker ps -a --filter "name=^/${1}\$" --format '{{.State}}')"; echo "${s:-missing}"; }
image_id() { docker image ls -q --no-trunc "$1"; }
engine_up() { docker info --format '{{.ID}}' >/dev/null 2>&1; }

# changed: notes that up did something, so it reports; an up with nothing to do stays silent.
changed() { : >"${SWARMOP_LAB_DIR}/.up-changed"; }

ensure_network() {
  local have
  if docker network inspect "$NETWORK" >/dev/null 2>&1; then
    have="$(docker network inspect -f '{{range .IPAM.Config}}{{.Subnet}}{{end}}' "$NETWORK")"
    [[ "$have" == "$SUBNET" ]] || die "the lab runs on ${have}, not ${SUBNET} (SWARMOP_LAB_SUBNET): one lab per machine, 'hack/lab.sh down' first"
    return 0
  fi
  changed
  # --internal: no route off the machine; the gateway address is this machine, which reaches every host.
  docker network create --internal --driver bridge --subnet "$SUBNET" --gateway "$GATEWAY" \
    -o com.docker.network.bridge.name="$NETWORK" --label "$LABEL" "$NETWORK" >/dev/null
}

# ensure_host NAME : the DinD host container exists, runs the current image, and is started.
ensure_host() {
  local name="$1" ip state storage=()
  ip="$(host_ip "$name")"
  state="$(container_state "$name")"
  if [[ "$state" != missing && "$(docker container inspect -f '{{.Image}}' "$name")" != "$(image_id "$DIND_IMAGE")" ]]; then
    # A running host may be in use (others share the lab): never destroy it behind their back.
    if [[ "$state" == running ]]; then
      log "warning: ${name} runs an older ${DIND_IMAGE}; 'hack/lab.sh down && hack/lab.sh up' refreshes it"
    else
      log "${name}: image ${DIND_IMAGE} changed, recreating the stopped host"
      docker rm -f -v "$name" >/dev/null
      docker volume rm -f "swarmop-lab-${name}" >/dev/null 2>&1 || true
      state=missing
    fi
  fi
  case "$state" in
    running) return 0 ;;
    missing) ;;
    *) changed; docker start "$name" >/dev/null; return 0 ;;
  esac
  changed
  if [[ "$host_storage" == tmpfs ]]; then
    storage=(--tmpfs "/var/lib/docker:rw,exec,suid,dev")
  else
    docker volume create --label "$LABEL" --label "io.swarmop.lab.host=${name}" "swarmop-lab-${name}" >/dev/null
    storage=(-v "swarmop-lab-${name}:/var/lib/docker")
  fi
  # No --privileged (it fails here: CAP_SYS_RESOURCE is outside the bounding set); this set is
  # what a nested dockerd needs. The host cgroup tree is bind-mounted so it can create cgroups.
  docker run -d --name "$name" --hostname "$name" \
    --network "$NETWORK" --ip "$ip" --restart no \
    --label "$LABEL" --label "io.swarmop.lab.host=${name}" \
    --cap-add ALL --cap-drop SYS_RESOURCE \
    --security-opt seccomp=unconfined --security-opt apparmor=unconfined --security-opt systempaths=unconfined \
    -v /sys/fs/cgroup:/sys/fs/cgroup:rw "${storage[@]}" \
    "$DIND_IMAGE" >/dev/null
}

wait_host() {
  wait_until "$start_timeout" "the engine of ${1} on tcp://$(host_ip "$1"):2375" host_answers "$1" || {
    docker logs --tail 20 "$1" >&2 || true
    die "${1}: inner engine did not answer"
  }
}

# load_images NAME [IMAGE...] : docker save | docker load of every image (default: HOST_IMAGES)
# the host lacks (or has stale).
load_images() {
  local name="$1" img want have missing=() images=("${HOST_IMAGES[@]}")
  (($# > 1)) && images=("${@:2}")
  for img in "${images[@]}"; do
    want="$(image_id "$img")"
    have="$(DOCKER_HOST="tcp://$(host_ip "$name"):2375" image_id "$img")"
    [[ -n "$want" && "$want" == "$have" ]] || missing+=("$img")
  done
  ((${#missing[@]} > 0)) || return 0
  changed
  log "${name}: loading ${missing[*]}"
  docker save "${missing[@]}" | docker exec -i "$name" docker load -q >/dev/null
}

store_answers() {
  CONSUL_HTTP_ADDR="127.0.0.1:${store_port}" timeout 3 "$consul_bin" operator raft list-peers >/dev/null 2>&1
}

start_store() {
  if pid_alive "$store_pid"; then
    wait_until 30 "the store Consul on 127.0.0.1:${store_port}" store_answers || die "store Consul does not answer (log: ${store_log})"
    return 0
  fi
  store_answers && die "something else serves Consul on 127.0.0.1:${store_port}: stop it or set SWARMOP_STORE_PORT"
  # -dev keeps everything in memory (a fresh store per lab); every port on loopback, none of the
  # well-known serf/server ports so it never meets another agent; no update check (no internet).
  # fds 3-9 closed: a daemon must not inherit a caller's lock (flock FILE hack/lab.sh up) and hold it forever.
  setsid "$consul_bin" 3>&- 4>&- 5>&- 6>&- 7>&- 8>&- 9>&- agent -dev -node swarmop-store -bind 127.0.0.1 -client 127.0.0.1 \
    -http-port "$store_port" -dns-port -1 -grpc-port -1 \
    -serf-lan-port "${SWARMOP_STORE_SERF_PORT:-18301}" -serf-wan-port -1 -server-port "${SWARMOP_STORE_SERVER_PORT:-18300}" \
    -hcl 'disable_update_check = true' \
    </dev/null >>"$store_log" 2>&1 &
  echo $! >"$store_pid"
  changed
  wait_until 30 "the store Consul on 127.0.0.1:${store_port}" store_answers || {
    tail -n 20 "$store_log" >&2; die "store Consul did not start (log: ${store_log})"
  }
}

ensure_workload() {
  local name="${1%%:*}" rest="${1#*:}" state host
  host="${rest%%:*}"
  state="$(DOCKER_HOST="tcp://$(host_ip "$host"):2375" container_state "$name")"
  case "$state" in
    running) ;;
    missing) changed; host_docker "$host" run -d --name "$name" --hostname "$name" --label "$LABEL" "$WORKLOAD_IMAGE" >/dev/null ;;
    *) changed; host_docker "$host" start "$name" >/dev/null ;;
  esac
}

write_files() {
  local h name tmp
  mkdir -p "${SWARMOP_LAB_DIR}/manifests"
  tmp="$(mktemp "${SWARMOP_LAB_DIR}/manifests/.dockerhosts.XXXXXX")"
  {
    echo "# Generated by hack/lab.sh: the lab's three Docker-in-Docker hosts."
    for h in "${HOSTS[@]}"; do
      name="${h%%:*}"
      cat <<DOC
---
apiVersion: swarmop.io/v1alpha1
kind: DockerHost
metadata:
  name: ${name}
  labels:
    swarmop.io/lab: "true"
spec:
  endpoint: tcp://${NET_PREFIX}.${h##*:}:2375
  address: ${NET_PREFIX}.${h##*:}
DOC
    done
  } >"$tmp"
  mv "$tmp" "${SWARMOP_LAB_DIR}/manifests/dockerhosts.yaml"
  write_topology
  printf 'SWARMOP_LAB_SUBNET=%s\nSWARMOP_LAB_HOSTS=%s\nSWARMOP_LAB_WORKLOADS=%s\nSWARMOP_LAB_DC2_HOST=%s\n' \
    "$SUBNET" "${host_settings[*]}" "${workload_settings[*]}" "${DC2_NAME}=${DC2_OCTET}" >"${SWARMOP_LAB_DIR}/settings"
  # Written aside and moved: a reader never sees half a file.
  tmp="$(mktemp "${SWARMOP_LAB_DIR}/.env.XXXXXX")"
  cat >"$tmp" <<ENV
CONSUL_HTTP_ADDR=127.0.0.1:${store_port}
DOCKER_HOST=${DOCKER_HOST}
LAB_DOCKER_HOST=${DOCKER_HOST}
LAB_NETWORK=${NETWORK}
LAB_SUBNET=${SUBNET}
LAB_GATEWAY=${GATEWAY}
LAB_HOSTS=$(for h in "${HOSTS[@]}"; do printf '%s=tcp://%s.%s:2375 ' "${h%%:*}" "$NET_PREFIX" "${h##*:}"; done | sed 's/ $//' | tr ' ' ',')
LAB_WORKLOADS=$(for w in "${WORKLOADS[@]}"; do printf '%s@%s=%s.%s/24 ' "${w%%:*}" "$(cut -d: -f2 <<<"$w")" "$NET_PREFIX" "${w##*:}"; done | sed 's/ $//' | tr ' ' ',')
LAB_WORKLOAD_IMAGE=${WORKLOAD_IMAGE}
LAB_MANIFESTS=${SWARMOP_LAB_DIR}/manifests/topology
LAB_DC2_HOST=${DC2_NAME}=tcp://${NET_PREFIX}.${DC2_OCTET}:2375
ENV
  mv "$tmp" "${SWARMOP_LAB_DIR}/env"
}

# write_topology: manifests/ rewritten for this lab's subnet and names into .lab/manifests/topology/
# (identical to manifests/ with the default settings); the attachments are generated per workload.
write_topology() {
  local dir="${SWARMOP_LAB_DIR}/manifests/topology" tmp f i w name host octet
  local -a from=(consulsvr consul01 consul02 192.168.116.111 192.168.116.112 192.168.116.113) to=() script=()
  for i in 0 1 2; do to+=("${HOSTS[$i]%%:*}"); done
  for i in 0 1 2; do to+=("${NET_PREFIX}.${HOSTS[$i]##*:}"); done
  # Two passes through placeholders, so a new name that equals another old one is not renamed twice.
  for i in "${!from[@]}"; do script+=(-e "s/\\b${from[$i]//./\\.}\\b/@@${i}@@/g"); done
  script+=(-e "s/\\b192\\.168\\.116\\./${NET_PREFIX}./g")
  for i in "${!to[@]}"; do script+=(-e "s/@@${i}@@/${to[$i]}/g"); done
  tmp="$(mktemp -d "${SWARMOP_LAB_DIR}/manifests/.topology.XXXXXX")"
  for f in 00-dockerhosts.yaml 10-consulcluster.yaml 20-swarmcluster.yaml; do
    sed -E "${script[@]}" "${SWARMOP_ROOT}/manifests/${f}" >"${tmp}/${f}"
  done
  {
    echo "# Generated by hack/lab.sh: one attachment per lab workload (SWARMOP_LAB_WORKLOADS)."
    for w in "${WORKLOADS[@]}"; do
      name="${w%%:*}"; host="$(cut -d: -f2 <<<"$w")"; octet="${w##*:}"
      cat <<DOC
---
apiVersion: swarmop.io/v1alpha1
kind: StaticIPAttachment
metadata:
  name: ${name}
spec:
  host: ${host}
  container: ${name}
  bridge: br0
  uplink: eth0
  address: ${NET_PREFIX}.${octet}/24
  gateway: ${GATEWAY}
DOC
    done
  } >"${tmp}/30-staticipattachments.yaml"
  rm -rf "$dir"
  mv "$tmp" "$dir"
}

up() {
  local start=$SECONDS h pids=() p
  mkdir -p "$SWARMOP_LAB_DIR"
  rm -f "${SWARMOP_LAB_DIR}/.up-changed"
  "${SWARMOP_ROOT}/hack/install.sh"
  "${SWARMOP_ROOT}/hack/dockerd.sh" start "$LAB_NAME" >/dev/null
  LAB_DOCKER_HOST="$DOCKER_HOST" "${SWARMOP_ROOT}/hack/images.sh"
  consul_bin="$("${SWARMOP_ROOT}/hack/consul-path.sh")"
  ensure_network
  for h in "${HOSTS[@]}"; do ensure_host "${h%%:*}"; done
  start_store
  # Hosts boot and load images in parallel; each load is a few hundred MB through a pipe.
  for h in "${HOSTS[@]}"; do
    ( wait_host "${h%%:*}" && load_images "${h%%:*}" ) &
    pids+=($!)
  done
  for p in "${pids[@]}"; do wait "$p" || die "a lab host did not come up"; done
  if [[ "$workloads" == 1 ]]; then
    for h in "${WORKLOADS[@]}"; do ensure_workload "$h"; done
  fi
  write_files
  # Hosts recreated on a new image leave the old one untagged.
  docker image prune -f --filter "label=${LABEL}" >/dev/null
  if [[ -e "${SWARMOP_LAB_DIR}/.up-changed" ]]; then
    rm -f "${SWARMOP_LAB_DIR}/.up-changed"
    log "lab up in $((SECONDS - start))s; use: set -a; . ${SWARMOP_LAB_DIR}/env; set +a"
  fi
}

down() {
  local ids
  # The operator started by hack/local-up.sh works on the lab: stop it first (ours, by PID file).
  stop_pid "${SWARMOP_LAB_DIR}/operator.pid" 20
  if pid_alive "/run/swarmop-${LAB_NAME}/dockerd.pid" && engine_up; then
    ids="$(docker ps -aq --filter "label=${LABEL}")"
    [[ -z "$ids" ]] || docker rm -f -v $ids >/dev/null
    ids="$(docker network ls -q --filter "label=${LABEL}")"
    [[ -z "$ids" ]] || docker network rm $ids >/dev/null
    ids="$(docker volume ls -q --filter "label=${LABEL}")"
    [[ -z "$ids" ]] || docker volume rm -f $ids >/dev/null
  fi
  stop_pid "$store_pid" 20
  "${SWARMOP_ROOT}/hack/dockerd.sh" stop "$LAB_NAME"
  rm -rf "${SWARMOP_LAB_DIR}/env" "${SWARMOP_LAB_DIR}/settings" "${SWARMOP_LAB_DIR}/manifests/dockerhosts.yaml" "${SWARMOP_LAB_DIR}/manifests/topology"
}

# dc2-up: the second datacenter's host on the running lab (its engine answering, the Consul image
# loaded), for the specs that federate two datacenters; dc2-down removes it again.
dc2_up() {
  local start=$SECONDS
  engine_up && docker network inspect "$NETWORK" >/dev/null 2>&1 || die "the lab is not up: 'hack/lab.sh up' first"
  # Nothing of it needs to survive a restart: its engine's storage is a tmpfs, gone with the container.
  host_storage=tmpfs ensure_host "$DC2_NAME"
  wait_host "$DC2_NAME"
  load_images "$DC2_NAME" "${DC2_IMAGES[@]}"
  write_files
  log "${DC2_NAME} up on tcp://$(host_ip "$DC2_NAME"):2375 in $((SECONDS - start))s"
}

dc2_down() {
  engine_up || return 0
  [[ "$(container_state "$DC2_NAME")" == missing ]] || docker rm -f -v "$DC2_NAME" >/dev/null
}

# status: one line per part; exit 0 only when every part is up.
status() {
  local ok=0 h name state engine
  "${SWARMOP_ROOT}/hack/dockerd.sh" status "$LAB_NAME" || ok=1
  if pid_alive "$store_pid" && store_answers; then
    echo "store consul: running (pid $(cat "$store_pid")) CONSUL_HTTP_ADDR=127.0.0.1:${store_port}"
  else
    echo "store consul: not running"; ok=1
  fi
  engine_up || return 1
  for h in "${HOSTS[@]}"; do
    name="${h%%:*}"
    state="$(container_state "$name")"
    if [[ "$state" == running ]] && host_answers "$name"; then
      engine="engine answering on tcp://$(host_ip "$name"):2375"
    else
      engine="engine not answering"; ok=1
    fi
    echo "host ${name}: container ${state}, ${engine}"
  done
  if [[ "$workloads" == 1 ]]; then
    for h in "${WORKLOADS[@]}"; do
      name="${h#*:}"; name="${name%%:*}"
      host_answers "$name" || continue
      echo "workload ${h%%:*} on ${name}: $(DOCKER_HOST="tcp://$(host_ip "$name"):2375" container_state "${h%%:*}")"
    done
  fi
  return "$ok"
}

consul_bin=''
cmd="${1:-}"
[[ $# -gt 0 ]] && shift
case "$cmd" in
  up) up ;;
  down) down ;;
  status)
    consul_bin="$("${SWARMOP_ROOT}/hack/consul-path.sh" 2>/dev/null || echo consul)"
    status ;;
  host-stop)
    [[ $# == 1 ]] || { usage; exit 2; }
    host_ip "$1" >/dev/null
    docker stop -t "$stop_timeout" "$1" >/dev/null ;;
  host-start)
    [[ $# == 1 ]] || { usage; exit 2; }
    host_ip "$1" >/dev/null
    docker start "$1" >/dev/null
    wait_host "$1" ;;
  host-exec)
    [[ $# -ge 2 ]] || { usage; exit 2; }
    name="$1"; shift
    host_ip "$name" >/dev/null
    if [[ -t 0 ]]; then exec docker exec -it "$name" "$@"; else exec docker exec -i "$name" "$@"; fi ;;
  env) cat "${SWARMOP_LAB_DIR}/env" ;;
  dc2-up) dc2_up ;;
  dc2-down) dc2_down ;;
  -h|--help|help) usage ;;
  *) usage; exit 2 ;;
esac
