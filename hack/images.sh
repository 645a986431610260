#!/usr/bin/env bash
# Builds the lab's images locally (no registry is reachable): a Debian base from debootstrap,
# then the DinD host, Consul, network helper and workload images FROM it. Each image carries the
# hash of its inputs in the label io.swarmop.inputs and is rebuilt only when that hash changes.
set -o errexit -o nounset -o pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib/common.sh"

usage() {
  cat >&2 <<USAGE
usage: hack/images.sh [IMAGE...]   (default: all lab images; names: base dind-host consul nethelper workload operator)
  operator: swarmop/operator:<package version>, from the packed npm package (npm pack; its
       dependencies, as its npm-shrinkwrap.json pins them, come from the npm registry) and this machine's node (SWARMOP_NODE, default:
       the node on PATH), which must satisfy package.json's engines; not part of the default set;
       SWARMOP_PACKAGE=FILE builds it from that package (a swarmop-<version>.tgz) instead of packing this checkout
  env: LAB_DOCKER_HOST (default unix:///run/swarmop-lab/docker.sock, the engine of hack/dockerd.sh)
       DEBIAN_SUITE (default bookworm)  DEBIAN_MIRROR (default: first URIs of the apt sources)
       IMAGES_FORCE=1 rebuilds even when the inputs did not change
USAGE
}

export DOCKER_HOST="${LAB_DOCKER_HOST:-unix:///run/swarmop-lab/docker.sock}"
# The client may be newer than Debian's engine and lack buildx; the classic builder works offline.
export DOCKER_BUILDKIT=0
suite="${DEBIAN_SUITE:-bookworm}"
images_dir="${SWARMOP_ROOT}/hack/images"
cache_dir="${SWARMOP_ROOT}/.cache/debootstrap"
force="${IMAGES_FORCE:-0}"

BASE_IMAGE=swarmop/debian:lab
DIND_IMAGE=swarmop/dind-host:lab
CONSUL_IMAGE=hashicorp/consul:1.8.7
NETHELPER_IMAGE=swarmop/nethelper:lab
WORKLOAD_IMAGE=swarmop/workload:lab

work=''
cleanup() { [[ -z "$work" ]] || rm -rf "$work"; }
trap cleanup EXIT

image_label() { docker image inspect -f "{{index .Config.Labels \"$2\"}}" "$1" 2>/dev/null || true; }
image_id() { docker image inspect -f '{{.Id}}' "$1"; }
up_to_date() { [[ "$force" != 1 && "$(image_label "$1" io.swarmop.inputs)" == "$2" ]]; }
hash_dir() { (cd "$1" && find . -type f -print0 | sort -z | xargs -0 sha256sum); }

build_base() {
  # The mirror is not an input: any mirror serves the same suite.
  local include='' hash
  hash="$(printf '%s\n' "base v2 nodoc" "$suite" minbase "$include" | sha256sum | cut -c1-16)"
  up_to_date "$BASE_IMAGE" "$hash" && return 0
  command -v debootstrap >/dev/null || die "debootstrap not installed: run hack/install.sh"
  local mirror="${DEBIAN_MIRROR:-$(debian_mirror)}" start=$SECONDS
  log "building ${BASE_IMAGE} (debootstrap ${suite} minbase)"
  work="$(mktemp -d "${TMPDIR:-/tmp}/swarmop-base.XXXXXX")"
  mkdir -p "$cache_dir"
  debootstrap --variant=minbase --cache-dir="$cache_dir" "$suite" "$work/rootfs" "$mirror" \
    >"$work/debootstrap.log" 2>&1 || { tail -n 30 "$work/debootstrap.log" >&2; die "debootstrap failed"; }
  local r="$work/rootfs"
  # Package scripts must never start services during image builds.
  printf '#!/bin/sh\nexit 101\n' >"$r/usr/sbin/policy-rc.d"; chmod +x "$r/usr/sbin/policy-rc.d"
  printf 'APT::Install-Recommends "false";\nAPT::Install-Suggests "false";\n' >"$r/etc/apt/apt.conf.d/90swarmop-norecommends"
  # Docs, man pages and translations are a third of minbase and every host loads each image.
  cat >"$r/etc/dpkg/dpkg.cfg.d/90swarmop-nodoc" <<'NODOC'
path-exclude=/usr/share/doc/*
path-include=/usr/share/doc/*/copyright
path-exclude=/usr/share/man/*
path-exclude=/usr/share/info/*
path-exclude=/usr/share/locale/*
path-include=/usr/share/locale/locale.alias
NODOC
  find "$r/usr/share/doc" -mindepth 1 -not -name copyright -not -type d -delete
  rm -rf "$r"/usr/share/man/* "$r"/usr/share/info/*
  find "$r/usr/share/locale" -mindepth 1 -maxdepth 1 -not -name locale.alias -exec rm -rf {} +
  rm -rf "$r"/var/cache/apt/archives/*.deb "$r"/var/lib/apt/lists/* "$r"/var/log/* "$r"/tmp/* 2>/dev/null || true
  tar -C "$r" --numeric-owner -c . | docker import \
    -c 'CMD ["/bin/bash"]' -c 'ENV LANG=C.UTF-8' \
    -c 'LABEL io.swarmop.lab=1' -c "LABEL io.swarmop.inputs=${hash}" \
    - "$BASE_IMAGE" >/dev/null
  rm -rf "$work"; work=''
  log "built ${BASE_IMAGE} in $((SECONDS - start))s"
}

# build_from_base IMAGE DIR [FILE...] : docker build of DIR (plus extra files copied into the
# context) FROM the base image; the inputs are the base image, the folder and the extra files.
build_from_base() {
  local image="$1" dir="$2"; shift 2
  local base_id hash start=$SECONDS f
  base_id="$(image_id "$BASE_IMAGE")"
  hash="$({ echo "$base_id"; hash_dir "$dir"; for f in "$@"; do sha256sum <"$f"; done; } | sha256sum | cut -c1-16)"
  up_to_date "$image" "$hash" && return 0
  log "building ${image}"
  work="$(mktemp -d "${TMPDIR:-/tmp}/swarmop-image.XXXXXX")"
  cp -a "$dir/." "$work/"
  for f in "$@"; do cp "$f" "$work/"; done
  # --network host: RUN steps reach the Debian archive the way the machine's own apt does.
  docker build -q --network host --build-arg "BASE=${BASE_IMAGE}" \
    --label io.swarmop.lab=1 --label "io.swarmop.inputs=${hash}" -t "$image" "$work" \
    >"$work/.build.log" 2>&1 || { tail -n 30 "$work/.build.log" >&2; die "building ${image} failed"; }
  rm -rf "$work"; work=''
  log "built ${image} in $((SECONDS - start))s ($(docker image inspect -f '{{.Size}}' "$image" | awk '{printf "%.0f MB", $1/1e6}'))"
}

# The product's image: npm pack of this checkout, installed with the dependencies its lockfile pins
# where `npm install -g` would put them, plus the machine's node binary (the base is the same Debian
# release as this machine).
build_operator() {
  local version node_bin start=$SECONDS ctx hash
  version="$(node -p 'require(process.argv[1]).version' "${SWARMOP_ROOT}/package.json")"
  local image="swarmop/operator:${version}"
  node_bin="$(readlink -f "${SWARMOP_NODE:-$(command -v node)}")"
  [[ -x "$node_bin" ]] || die "no node binary to copy (set SWARMOP_NODE)"
  "$node_bin" -e '
    const want = /^>=(\d+)\.(\d+)/.exec(require(process.argv[1]).engines.node);
    const [a, b] = process.versions.node.split(".").map(Number);
    process.exit(want && (a > +want[1] || (a === +want[1] && b >= +want[2])) ? 0 : 1);' "${SWARMOP_ROOT}/package.json" \
    || die "${node_bin} ($("$node_bin" --version)) does not satisfy package.json engines; set SWARMOP_NODE"
  work="$(mktemp -d "${TMPDIR:-/tmp}/swarmop-operator.XXXXXX")"
  ctx="$work/ctx"
  mkdir -p "$ctx"
  local tgz="$work/swarmop-${version}.tgz"
  if [[ -n "${SWARMOP_PACKAGE:-}" ]]; then
    [[ -s "$SWARMOP_PACKAGE" ]] || die "SWARMOP_PACKAGE=${SWARMOP_PACKAGE}: no such package"
    tgz="$SWARMOP_PACKAGE"
  else
    (cd "$SWARMOP_ROOT" && npm pack --silent --pack-destination "$work" >/dev/null) || die "npm pack failed"
  fi
  hash="$({ image_id "$BASE_IMAGE"; hash_dir "$images_dir/operator"; tar -xOzf "$tgz" | sha256sum; "$node_bin" --version; } | sha256sum | cut -c1-16)"
  if up_to_date "$image" "$hash"; then rm -rf "$work"; work=''; return 0; fi
  log "building ${image} (node $("$node_bin" --version))"
  cp -a "$images_dir/operator/." "$ctx/"
  cp "$node_bin" "$ctx/node"
  # Exactly the dependencies of the package's npm-shrinkwrap.json (this checkout's package-lock.json,
  # versions and integrity hashes), not what package.json's ranges resolve to today: `npm ci` in
  # the unpacked package, laid out as `npm install -g` would (a global install of a local .tgz
  # ignores the shrinkwrap). --ignore-scripts: no dependency's install script runs; the ones that
  # have one (ssh2, cpu-features: native addons for an SSH transport the operator never uses;
  # protobufjs: a version notice) work without.
  local pkg_dir="$ctx/app/lib/node_modules/swarmop"
  mkdir -p "$pkg_dir" "$ctx/app/bin"
  tar -xzf "$tgz" -C "$pkg_dir" --strip-components=1
  [[ -s "$pkg_dir/npm-shrinkwrap.json" ]] || die "${tgz} has no npm-shrinkwrap.json (the prepack script writes it)"
  (cd "$pkg_dir" && npm ci --omit=dev --ignore-scripts --no-audit --no-fund --loglevel=error) >"$work/npm.log" 2>&1 \
    || { tail -n 30 "$work/npm.log" >&2; die "npm ci of ${tgz}'s npm-shrinkwrap.json failed"; }
  ln -s ../lib/node_modules/swarmop/bin/swarmop.js "$ctx/app/bin/swarmop"
  docker build -q --build-arg "BASE=${BASE_IMAGE}" --label io.swarmop.lab=1 --label "io.swarmop.inputs=${hash}" \
    -t "$image" "$ctx" >"$work/.build.log" 2>&1 || { tail -n 30 "$work/.build.log" >&2; die "building ${image} failed"; }
  rm -rf "$work"; work=''
  log "built ${image} in $((SECONDS - start))s ($(docker image inspect -f '{{.Size}}' "$image" | awk '{printf "%.0f MB", $1/1e6}'))"
}

consul_binary() {
  local bin
  if [[ -x "${SWARMOP_ROOT}/hack/consul-path.sh" ]] && bin="$("${SWARMOP_ROOT}/hack/consul-path.sh" 2>/dev/null)"; then
    echo "$bin"
  elif [[ -x "${SWARMOP_ROOT}/.cache/consul/usr/bin/consul" ]]; then
    echo "${SWARMOP_ROOT}/.cache/consul/usr/bin/consul"
  else
    die "consul binary missing: run hack/install.sh"
  fi
}

case "${1:-}" in -h|--help) usage; exit 0 ;; esac
wanted=("$@")
((${#wanted[@]} > 0)) || wanted=(base dind-host consul nethelper workload)
docker info >/dev/null 2>&1 || die "no engine at ${DOCKER_HOST}: run hack/dockerd.sh start lab"

build_base
for w in "${wanted[@]}"; do
  case "$w" in
    base) ;;
    dind-host) build_from_base "$DIND_IMAGE" "$images_dir/dind-host" ;;
    consul) build_from_base "$CONSUL_IMAGE" "$images_dir/consul" "$(consul_binary)" ;;
    nethelper) build_from_base "$NETHELPER_IMAGE" "$images_dir/nethelper" ;;
    workload) build_from_base "$WORKLOAD_IMAGE" "$images_dir/workload" ;;
    operator) build_operator ;;
    *) usage; die "unknown image '${w}'" ;;
  esac
done
# Rebuilt images leave their previous versions untagged.
docker image prune -f --filter label=io.swarmop.lab=1 >/dev/null
