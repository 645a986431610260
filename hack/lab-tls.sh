#!/usr/bin/env bash
# An extra lab host whose engine requires client certificates: `tlshost` (.120 of the lab's
# subnet, 192.168.116.120 by default) runs dockerd with --tlsverify on tcp :2376 only. The certificates are made here with
# openssl under .lab/tls/: a CA, the engine's server certificate (SAN tlshost and its address) and
# a client certificate for swarmop; the operator reads the client files through a DockerHost's
# spec.tls. Needs the lab's outer engine and network (hack/lab.sh up).
set -o errexit -o nounset -o pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib/common.sh"

usage() {
  cat >&2 <<USAGE
usage: hack/lab-tls.sh up|down|status|certs|manifest
  up        make the certificates (once) and start tlshost; waits until its engine answers with TLS
  down      remove tlshost (by label); the certificates stay (certs are re-made only when missing)
  certs     make the certificates only
  manifest  print DockerHost documents for tlshost: one with the tls files, one without
  env: LAB_TLS_START_TIMEOUT (s, default 90), LAB_TLS_DAYS (certificate validity, default 30)
USAGE
}

export DOCKER_HOST="unix:///run/swarmop-lab/docker.sock"
NAME=tlshost
NETWORK=swarmop-lab
# The lab's subnet as hack/lab.sh up wrote it (SWARMOP_LAB_SUBNET).
lab_subnet="$(sed -n 's/^LAB_SUBNET=//p' "${SWARMOP_LAB_DIR}/env" 2>/dev/null || true)"
lab_subnet="${lab_subnet:-192.168.116.0/24}"
IP="${lab_subnet%.0/*}.120"
PORT=2376
DIND_IMAGE=swarmop/dind-host:lab
LABEL=io.swarmop.lab=1
TLS_DIR="${SWARMOP_LAB_DIR}/tls"
start_timeout="${LAB_TLS_START_TIMEOUT:-90}"
days="${LAB_TLS_DAYS:-30}"

# sign NAME CN EXTFILE : key + CSR + certificate signed by the lab CA.
sign() {
  local name="$1" cn="$2" ext="$3"
  openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes \
    -keyout "${TLS_DIR}/${name}-key.pem" -out "${TLS_DIR}/${name}.csr" -subj "/CN=${cn}" 2>/dev/null
  openssl x509 -req -in "${TLS_DIR}/${name}.csr" -CA "${TLS_DIR}/ca.pem" -CAkey "${TLS_DIR}/ca-key.pem" \
    -CAcreateserial -days "$days" -sha256 -extfile "$ext" -out "${TLS_DIR}/${name}.pem" 2>/dev/null
  rm -f "${TLS_DIR}/${name}.csr"
}

certs() {
  if [[ -s "${TLS_DIR}/ca.pem" && -s "${TLS_DIR}/server.pem" && -s "${TLS_DIR}/client.pem" ]] \
    && openssl x509 -checkend 86400 -noout -in "${TLS_DIR}/server.pem" >/dev/null \
    && openssl x509 -noout -text -in "${TLS_DIR}/server.pem" | grep -q "IP Address:${IP}\(,\|\$\)"; then
    return 0
  fi
  mkdir -p "$TLS_DIR"
  chmod 700 "$TLS_DIR"
  local tmp
  tmp="$(mktemp -d)"
  openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days "$days" -sha256 \
    -keyout "${TLS_DIR}/ca-key.pem" -out "${TLS_DIR}/ca.pem" -subj "/CN=swarmop lab CA" 2>/dev/null
  printf 'subjectAltName = DNS:%s, IP:%s, IP:127.0.0.1\nextendedKeyUsage = serverAuth\nkeyUsage = digitalSignature, keyEncipherment\n' "$NAME" "$IP" >"${tmp}/server.ext"
  printf 'extendedKeyUsage = clientAuth\nkeyUsage = digitalSignature\n' >"${tmp}/client.ext"
  sign server "$NAME" "${tmp}/server.ext"
  sign client swarmop "${tmp}/client.ext"
  # A client certificate from a CA the engine does not trust: refused like no certificate at all.
  openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days "$days" -sha256 \
    -keyout "${TLS_DIR}/rogue-key.pem" -out "${TLS_DIR}/rogue.pem" -subj "/CN=rogue" 2>/dev/null
  chmod 600 "${TLS_DIR}"/*-key.pem
  rm -rf "$tmp"
  log "certificates in ${TLS_DIR}"
}

container_state() { local s; s="$(docker ps -a --filter "name=^/${1}\$" --format '{{.State}}')"; echo "${s:-missing}"; }

tls_answers() {
  DOCKER_HOST="tcp://${IP}:${PORT}" timeout 3 docker --tlsverify \
    --tlscacert "${TLS_DIR}/ca.pem" --tlscert "${TLS_DIR}/client.pem" --tlskey "${TLS_DIR}/client-key.pem" \
    version --format '{{.Server.Version}}'
}

up() {
  docker info >/dev/null 2>&1 || die "the lab's engine is not running: run hack/lab.sh up first"
  docker network inspect "$NETWORK" >/dev/null 2>&1 || die "network ${NETWORK} is missing: run hack/lab.sh up first"
  docker image inspect "$DIND_IMAGE" >/dev/null 2>&1 || die "image ${DIND_IMAGE} is missing: run hack/lab.sh up first"
  certs
  case "$(container_state "$NAME")" in
    running) ;;
    missing)
      # The same DinD flags as hack/lab.sh's hosts (no --privileged), but dockerd listens only on
      # :2376 and demands a client certificate signed by the lab CA.
      docker run -d --name "$NAME" --hostname "$NAME" \
        --network "$NETWORK" --ip "$IP" --restart no \
        --label "$LABEL" --label "io.swarmop.lab.host=${NAME}" --label io.swarmop.lab.tls=1 \
        --cap-add ALL --cap-drop SYS_RESOURCE \
        --security-opt seccomp=unconfined --security-opt apparmor=unconfined --security-opt systempaths=unconfined \
        -v /sys/fs/cgroup:/sys/fs/cgroup:rw --tmpfs "/var/lib/docker:rw,exec,suid,dev" \
        -v "${TLS_DIR}/ca.pem:/etc/docker/tls/ca.pem:ro" \
        -v "${TLS_DIR}/server.pem:/etc/docker/tls/server.pem:ro" \
        -v "${TLS_DIR}/server-key.pem:/etc/docker/tls/server-key.pem:ro" \
        --entrypoint /bin/sh "$DIND_IMAGE" -c \
        'rm -f /var/run/docker.pid /var/run/docker/containerd/containerd.pid /run/docker/containerd/containerd.pid;
         exec dockerd -H tcp://0.0.0.0:'"$PORT"' -H unix:///var/run/docker.sock --tlsverify \
           --tlscacert /etc/docker/tls/ca.pem --tlscert /etc/docker/tls/server.pem --tlskey /etc/docker/tls/server-key.pem \
           --cgroup-parent "/$(hostname)"' >/dev/null ;;
    *) docker start "$NAME" >/dev/null ;;
  esac
  wait_until "$start_timeout" "${NAME}'s engine on tcp://${IP}:${PORT} (TLS)" tls_answers \
    || { docker logs --tail 20 "$NAME" >&2 || true; die "${NAME} did not come up"; }
  log "${NAME} answers on tcp://${IP}:${PORT} with client certificates from ${TLS_DIR}"
}

down() {
  local ids
  docker info >/dev/null 2>&1 || return 0
  ids="$(docker ps -aq --filter "label=io.swarmop.lab.tls=1")"
  [[ -z "$ids" ]] || docker rm -f -v $ids >/dev/null
}

status() {
  local state
  state="$(container_state "$NAME")"
  if [[ "$state" == running ]] && tls_answers >/dev/null 2>&1; then
    echo "host ${NAME}: container running, engine answering on tcp://${IP}:${PORT} (client certificate required)"
  else
    echo "host ${NAME}: container ${state}, engine not answering with TLS"
    return 1
  fi
}

manifest() {
  cat <<YAML
apiVersion: swarmop.io/v1alpha1
kind: DockerHost
metadata:
  name: tlshost
  labels: {tls: required}
spec:
  endpoint: tcp://${IP}:${PORT}
  address: ${IP}
  tls:
    caFile: ${TLS_DIR}/ca.pem
    certFile: ${TLS_DIR}/client.pem
    keyFile: ${TLS_DIR}/client-key.pem
---
apiVersion: swarmop.io/v1alpha1
kind: DockerHost
metadata:
  name: tlshost-nocert
spec:
  endpoint: tcp://${IP}:${PORT}
  address: ${IP}
YAML
}

cmd="${1:-}"
[[ $# -gt 0 ]] && shift
case "$cmd" in
  up) up ;;
  down) down ;;
  status) status ;;
  certs) certs ;;
  manifest) manifest ;;
  -h|--help|help) usage ;;
  *) usage; exit 2 ;;
esac
