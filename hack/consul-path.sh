#!/usr/bin/env bash
# Prints the absolute path of the project's Consul binary (installed by hack/install-consul.sh).
set -o errexit -o nounset -o pipefail
[[ "${1:-}" == "-h" || "${1:-}" == "--help" ]] && { echo "usage: $0   (env: CONSUL_DEST=<dir>)" >&2; exit 0; }
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
BIN="${CONSUL_DEST:-${ROOT}/.cache/consul}/usr/bin/consul"
if [[ ! -x "${BIN}" ]]; then
  echo "consul-path: ${BIN} missing; run hack/install-consul.sh" >&2
  exit 1
fi
echo "${BIN}"
