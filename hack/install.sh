#!/usr/bin/env bash
# Installs what the lab needs from Debian's archive (Docker Engine, debootstrap, network tools)
# and Consul 1.8.7 (hack/install-consul.sh). Idempotent; silent when everything is there.
set -o errexit -o nounset -o pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib/common.sh"

usage() {
  echo "usage: hack/install.sh   (env: INSTALL_PACKAGES='<debian packages>' to replace the default list)" >&2
}
case "${1:-}" in
  -h|--help) usage; exit 0 ;;
  "") ;;
  *) usage; exit 2 ;;
esac

# docker.io: dockerd, containerd, runc (the client alone is not enough); debootstrap builds the
# base image; busybox-static for tiny images; iproute2/iptables/util-linux for lab networking;
# iputils-arping goes into the default network helper (gratuitous ARP after an attach);
# chromium (headless, driven by puppeteer-core) and a font for the status page's browser tests;
# hack/verify.sh lints the scripts with Debian's shellcheck package; tcpdump captures the lab network in the
# TLS e2e (no token may cross it in clear).
read -r -a packages <<<"${INSTALL_PACKAGES:-docker.io debootstrap iproute2 iptables openssl busybox-static util-linux iputils-arping ca-certificates chromium fonts-dejavu-core shellcheck tcpdump}"

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done

if ((${#missing[@]} > 0)); then
  [[ $(id -u) == 0 ]] || die "installing ${missing[*]} needs root"
  work="$(mktemp -d)"
  own_policy=''
  cleanup() { rm -rf "$work"; [[ -z "$own_policy" ]] || rm -f /usr/sbin/policy-rc.d; }
  trap cleanup EXIT
  # Installing docker.io must not start a system dockerd: it would program the same iptables
  # chains as the lab's engine. policy-rc.d exit 101 = "do not start services".
  if [[ ! -e /usr/sbin/policy-rc.d ]]; then
    printf '#!/bin/sh\nexit 101\n' >/usr/sbin/policy-rc.d && chmod +x /usr/sbin/policy-rc.d && own_policy=1
  fi
  export DEBIAN_FRONTEND=noninteractive
  log "installing ${missing[*]}"
  # A fresh machine may have empty or stale package lists: refresh once, then install.
  apt-get -qq update >"$work/update.log" 2>&1 || { cat "$work/update.log" >&2; die "apt-get update failed"; }
  apt-get -qq install -y --no-install-recommends "${missing[@]}" >"$work/install.log" 2>&1 \
    || { tail -n 30 "$work/install.log" >&2; die "apt-get install failed"; }
fi

if [[ -x "${SWARMOP_ROOT}/hack/install-consul.sh" ]]; then
  "${SWARMOP_ROOT}/hack/install-consul.sh"
fi
