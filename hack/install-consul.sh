#!/usr/bin/env bash
# Installs the real Consul 1.8.7 binary from Debian 11 "bullseye" into the project
# (.cache/consul/usr/bin/consul) without touching the system's apt configuration:
# a temporary sources list naming the machine's own Debian mirror, private package lists,
# `apt-get download` and `dpkg -x`. Idempotent; quiet when the binary is already there.
set -o errexit -o nounset -o pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib/common.sh"

usage() {
  echo "usage: $0 [-h]   (env: CONSUL_VERSION=${CONSUL_VERSION:-1.8.7} CONSUL_DEST=<dir> CONSUL_MIRROR=<uri> APT_SOURCES=<file>)" >&2
}
case "${1:-}" in
  -h|--help) usage; exit 0 ;;
  "") ;;
  *) usage; exit 2 ;;
esac

CONSUL_VERSION="${CONSUL_VERSION:-1.8.7}"
CONSUL_DEST="${CONSUL_DEST:-${SWARMOP_ROOT}/.cache/consul}"
APT_SOURCES="${APT_SOURCES:-/etc/apt/sources.list.d/debian.sources}"
BIN="${CONSUL_DEST}/usr/bin/consul"

installed_version() {
  [[ -x "${BIN}" ]] || return 1
  "${BIN}" version 2>/dev/null | sed -n 's/^Consul v\([0-9.]*\).*/\1/p' | head -n 1
}

if [[ "$(installed_version || true)" == "${CONSUL_VERSION}" ]]; then
  exit 0
fi

mirror="${CONSUL_MIRROR:-$(debian_mirror "${APT_SOURCES}")}"

work="$(mktemp -d)"
cleanup() { rm -rf "${work}"; }
trap cleanup EXIT

mkdir -p "${work}/lists/partial" "${work}/archives/partial"
keyring=/usr/share/keyrings/debian-archive-keyring.gpg
# Verify the archive signature with the system keyring when it is there (it holds bullseye keys).
if [[ -f "${keyring}" ]]; then opt="signed-by=${keyring}"; else opt="trusted=yes"; fi
echo "deb [${opt}] ${mirror} bullseye main" > "${work}/sources.list"
apt_opts=(
  -o "Dir::Etc::SourceList=${work}/sources.list"
  -o "Dir::Etc::SourceParts=/nonexistent"
  -o "Dir::State::Lists=${work}/lists"
  -o "Dir::Cache::Archives=${work}/archives"
  -o "Dir::Cache::pkgcache="
  -o "Dir::Cache::srcpkgcache="
  -o "Debug::NoLocking=1"
)

echo "install-consul: fetching consul ${CONSUL_VERSION} from Debian bullseye" >&2
apt-get "${apt_opts[@]}" -qq update >"${work}/update.log" 2>&1 || { cat "${work}/update.log" >&2; exit 1; }
(cd "${work}" && apt-get "${apt_opts[@]}" -qq download consul >"${work}/download.log" 2>&1) \
  || { cat "${work}/download.log" >&2; exit 1; }

deb="$(ls "${work}"/consul_*.deb 2>/dev/null | head -n 1)"
if [[ -z "${deb}" ]]; then
  echo "install-consul: apt-get download produced no consul .deb" >&2
  exit 1
fi
rm -rf "${CONSUL_DEST}.tmp"
mkdir -p "${CONSUL_DEST}.tmp"
dpkg -x "${deb}" "${CONSUL_DEST}.tmp"
rm -rf "${CONSUL_DEST}"
mv "${CONSUL_DEST}.tmp" "${CONSUL_DEST}"

got="$(installed_version || true)"
if [[ "${got}" != "${CONSUL_VERSION}" ]]; then
  echo "install-consul: expected consul ${CONSUL_VERSION}, got '${got:-nothing}' from $(basename "${deb}")" >&2
  exit 1
fi
echo "install-consul: ${BIN} (consul ${got})" >&2
