#!/usr/bin/env bash
# Builds the root filesystem of swarmop's default network helper image, the one the operator
# imports into any Docker host that lacks it (no registry needed): iproute2's `ip` (JSON output),
# util-linux's `nsenter` and `setsid`, coreutils' `cat` and `sleep`, iputils' `arping`, and dash as `sh`, each with the shared libraries it links.
# Everything is copied from this machine (Debian's packages iproute2, util-linux, dash:
# hack/install.sh installs them), so the image has this machine's CPU architecture; each file is
# checked against the package that installed it (dpkg -S, dpkg --verify) before anything is built. (Not busybox:
# its shell runs its own limited `ip` applet instead of iproute2's.) The archive is reproducible: same inputs, same bytes.
set -o errexit -o nounset -o pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib/common.sh"

usage() {
  cat >&2 <<USAGE
usage: hack/helper-rootfs.sh [OUT]   (default assets/nethelper-rootfs.tar.gz; rebuilt only when its inputs change)
       hack/helper-rootfs.sh --check FILE...   (only the Debian package check below, on FILEs)
  Every file that goes in must belong to an installed Debian package (dpkg -S) and be unmodified
  (dpkg --verify of that package does not list it); otherwise nothing is built.
  env: HELPER_ROOTFS_FORCE=1 rebuilds even when the inputs did not change
USAGE
}

# dpkg_path FILE: the path under which dpkg lists FILE (a resolved path). With merged /usr, Debian's
# packages list /bin/ip and /lib/x86_64-linux-gnu/libc.so.6 while readlink -f gives /usr/bin/ip.
dpkg_path() {
  local f="$1" c
  for c in "$f" "${f#/usr}" "/usr${f}"; do
    [[ "$c" == /* && "$(readlink -f "$c" 2>/dev/null)" == "$f" ]] || continue
    if dpkg-query -S "$c" 2>/dev/null | grep -v '^diversion ' | grep -qF ": ${c}"; then echo "$c"; return 0; fi
  done
  return 1
}

# check_debian_files FILE... : each FILE (resolved, as copied) comes from an installed Debian
# package and dpkg --verify does not report it changed. What the helper image holds then is what
# Debian shipped, not whatever `command -v` happened to find on the packing machine.
check_debian_files() {
  command -v dpkg-query >/dev/null && command -v dpkg >/dev/null \
    || die "dpkg not found: the helper's files are checked against their Debian packages, so build it on Debian"
  local f real path pkgs pkg bad=() verified=() line
  declare -A verify_out=()
  for f in "$@"; do
    real="$(readlink -f "$f")"
    if ! path="$(dpkg_path "$real")"; then
      bad+=("${real}: not from any installed Debian package (dpkg -S)")
      continue
    fi
    # "pkg1:amd64, pkg2: /path" -> pkg1:amd64 pkg2
    pkgs="$(dpkg-query -S "$path" | grep -v '^diversion ' | grep -F ": ${path}" | head -n 1)"
    pkgs="${pkgs%%: /*}"
    for pkg in ${pkgs//,/ }; do
      [[ -v "verify_out[$pkg]" ]] || verify_out[$pkg]="$(dpkg --verify "$pkg" 2>&1 || true)"
      while read -r line; do
        [[ -n "$line" && "${line##* }" == "$path" ]] && bad+=("${real}: changed since package ${pkg} installed it (dpkg --verify: ${line})")
      done <<<"${verify_out[$pkg]}"
      verified+=("$pkg")
    done
  done
  if ((${#bad[@]} > 0)); then
    printf '%s\n' "${bad[@]}" >&2
    die "the helper's root filesystem takes only files that Debian's packages installed unchanged"
  fi
  log "checked $# files against Debian packages: $(printf '%s\n' "${verified[@]}" | sort -u | tr '\n' ' ')"
}

case "${1:-}" in
  -h|--help) usage; exit 0 ;;
  --check) shift; (($# > 0)) || { usage; exit 2; }; check_debian_files "$@"; exit 0 ;;
esac

out="${1:-${SWARMOP_ROOT}/assets/nethelper-rootfs.tar.gz}"
# cat and sleep: the netlink monitor's watchdogs (stdin EOF, container PID gone); arping: a
# gratuitous ARP after an attach, so neighbours drop the MAC of the interface a restart destroyed.
BINARIES=(ip nsenter setsid dash cat sleep arping)

work=''
cleanup() { [[ -z "$work" ]] || rm -rf "$work"; }
trap cleanup EXIT

# --- Licences. The binaries are GPL/LGPL software from Debian: the root filesystem carries each
# package's copyright file (/usr/share/doc/<package>/copyright, as hack/images.sh keeps them in the
# lab images) and the licence texts those files point to (/usr/share/common-licenses/), and
# THIRD_PARTY_NOTICES (in the root filesystem and beside the archive, so in the npm package) names
# every package with its Debian version and source package, for `apt-get source`.

# package_of FILE : the Debian package that installed FILE. With merged /usr, dpkg may know a file
# under /bin or /lib while ldd and PATH name it under /usr (or the reverse), and a library by its
# symlink's name.
package_of() {
  local c p line
  for c in "$1" "$(readlink -f "$1")"; do
    for p in "$c" "/usr${c}" "${c#/usr}"; do
      line="$(dpkg-query -S -- "$p" 2>/dev/null | grep -v '^diversion ' | head -n 1 || true)"
      [[ -n "$line" ]] || continue
      line="${line%%: *}"
      echo "${line%%:*}"
      return 0
    done
  done
  return 1
}

# licence_inputs : fills pkg_files (package -> its files here), packages and licence_files.
declare -A pkg_files=()
licence_inputs() {
  local f pkg lic
  command -v dpkg-query >/dev/null || die "dpkg-query not found: the helper's binaries come from Debian packages"
  for f in "${files[@]}"; do
    pkg="$(package_of "$f")" || die "${f}: no Debian package owns it (dpkg -S), so its licence cannot be shipped"
    pkg_files[$pkg]+="${pkg_files[$pkg]:+ }${f}"
  done
  mapfile -t packages < <(printf '%s\n' "${!pkg_files[@]}" | sort)
  licence_files=()
  for pkg in "${packages[@]}"; do
    [[ -s "/usr/share/doc/${pkg}/copyright" ]] || die "/usr/share/doc/${pkg}/copyright missing: reinstall ${pkg}"
    licence_files+=("/usr/share/doc/${pkg}/copyright")
  done
  # Copyright files refer to the GPL, LGPL... texts by path rather than quoting them.
  while read -r lic; do
    [[ -f "$lic" ]] && licence_files+=("$lic")
  done < <(grep -ho '/usr/share/common-licenses/[A-Za-z0-9+.-]*[A-Za-z0-9+]' "${licence_files[@]}" | sort -u)
}

# write_notices FILE : the packages, their versions and source packages, then each copyright file.
write_notices() {
  local pkg
  {
    echo "Third-party software in swarmop's network helper root filesystem (nethelper-rootfs.tar.gz)"
    echo
    echo "Debian $(cat /etc/debian_version 2>/dev/null || echo '(release unknown)'), architecture $(dpkg --print-architecture)."
    echo "The helper image holds programs and libraries copied from the Debian packages listed below."
    echo "Each package's copyright and licence terms are in the image at /usr/share/doc/<package>/copyright"
    echo "(repeated at the end of this file), the licence texts they refer to at /usr/share/common-licenses/."
    echo "The corresponding source code of a package, from any Debian mirror or snapshot.debian.org:"
    echo "  apt-get source <source package>=<source version>"
    echo
    echo "package version (source: source-package source-version): files"
    for pkg in "${packages[@]}"; do
      echo "$(dpkg-query -W -f='${Package} ${Version} (source: ${source:Package} ${source:Version})' "$pkg"): ${pkg_files[$pkg]}"
    done
    for pkg in "${packages[@]}"; do
      printf '\n==== %s: /usr/share/doc/%s/copyright ====\n\n' "$pkg" "$pkg"
      cat "/usr/share/doc/${pkg}/copyright"
    done
  } >"$1"
}

for tool in ldd tar gzip sha256sum; do command -v "$tool" >/dev/null || die "${tool} not found"; done

# Every file that goes in, resolved (symlinks followed), with the libraries of each binary.
files=()
for b in "${BINARIES[@]}"; do
  p="$(command -v "$b" || true)"
  [[ -n "$p" ]] || die "${b} not found (Debian packages iproute2, util-linux, coreutils, iputils-arping, dash: hack/install.sh)"
  files+=("$(readlink -f "$p")")
  while read -r lib; do files+=("$lib"); done < <(ldd "$p" | awk '$2 == "=>" && $3 ~ /^\// { print $3 } $1 ~ /^\// { print $1 }')
done
mapfile -t files < <(printf '%s\n' "${files[@]}" | sort -u)
check_debian_files "${files[@]}"

inputs="$({ echo "helper-rootfs v4 ${BINARIES[*]}"; sha256sum "${files[@]}"; } | sha256sum | cut -c1-16)"
# Licences (functions above): the copyright files, licence texts and package versions are inputs too.
licence_inputs
notices="$(dirname "$out")/THIRD_PARTY_NOTICES"
inputs="$({ echo "$inputs"; sha256sum <"${BASH_SOURCE[0]}"; sha256sum "${licence_files[@]}"; dpkg-query -W -f='${Package} ${Version}\n' "${packages[@]}"; } | sha256sum | cut -c1-16)"
# The inputs' hash lives outside assets/ so the package carries only the archive.
stamp="${SWARMOP_ROOT}/.cache/$(basename "$out").inputs"
mkdir -p "$(dirname "$stamp")"
if [[ "${HELPER_ROOTFS_FORCE:-0}" != 1 && -s "$out" && -s "$notices" && "$(cat "$stamp" 2>/dev/null)" == "$inputs" ]]; then
  exit 0
fi

work="$(mktemp -d "${TMPDIR:-/tmp}/swarmop-helper-rootfs.XXXXXX")"
r="${work}/rootfs"
mkdir -p "$r"/{bin,sbin,usr/bin,usr/sbin,lib,lib64,etc,proc,sys,dev,tmp,run}
chmod 1777 "$r/tmp"
for f in "${files[@]}"; do
  mkdir -p "$r$(dirname "$f")"
  cp -L "$f" "$r$f"
done
# Each tool also answers under the name PATH finds it by here (e.g. /usr/sbin/ip -> /usr/bin/ip).
for b in "${BINARIES[@]}"; do
  p="$(command -v "$b")"
  [[ -e "$r$p" ]] || { mkdir -p "$r$(dirname "$p")"; ln -s "$(readlink -f "$p")" "$r$p"; }
done
ln -s "$(readlink -f "$(command -v dash)")" "$r/bin/sh"
printf 'root:x:0:0:root:/:/bin/sh\n' >"$r/etc/passwd"
printf 'root:x:0:\n' >"$r/etc/group"
# Licences (see licence_inputs): copyright files and licence texts at their Debian paths, and the notices.
for f in "${licence_files[@]}"; do
  mkdir -p "$r$(dirname "$f")"
  cp -L "$f" "$r$f"
done
write_notices "$r/THIRD_PARTY_NOTICES"

# Reproducible: fixed order, owner and time.
mkdir -p "$(dirname "$out")"
tar -C "$r" --sort=name --owner=0 --group=0 --numeric-owner --mtime='@0' -c . | gzip -n -9 >"${work}/rootfs.tar.gz"
mv "${work}/rootfs.tar.gz" "$out"
cp "$r/THIRD_PARTY_NOTICES" "$notices"
echo "$inputs" >"$stamp"
log "built ${out} ($(stat -c %s "$out") bytes)"
