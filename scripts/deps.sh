#!/bin/sh
# Installs the Debian packages cell needs to build, test and benchmark, and
# the deb-src entry the conformance suite fetches crun's tests with.
# Idempotent: a fast no-op when everything is present. Runs as root.
set -eu

PACKAGES="
  gcc make meson ninja-build pkg-config git musl-tools
  libjansson-dev libseccomp-dev libcurl4-openssl-dev
  libarchive-dev libssl-dev libisal-dev
  busybox-static
  bats jq python3
  clang clang-format libclang-rt-14-dev
  runc crun libcap2-bin
  skopeo umoci
  dpkg-dev uidmap iproute2 procps util-linux
  hyperfine time
  podman docker.io containerd docker-registry apache2-utils
  qemu-system-x86 zstd libzstd-dev debootstrap
  dbus-daemon python3-dbus python3-gi
  kmod criu
"

missing=""
for p in $PACKAGES; do
	# dpkg-query is the cheap check; a package is there when it is "installed".
	case "$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null || true)" in
	*" installed") ;;
	*) missing="$missing $p" ;;
	esac
done

# crun's test suite comes from its Debian source package.
SRC_LIST=/etc/apt/sources.list.d/cell-deb-src.sources
need_src=0
if ! grep -rqs '^Types:.*deb-src' /etc/apt/sources.list.d/ && ! grep -qs '^deb-src' /etc/apt/sources.list; then
	need_src=1
fi

if [ -z "$missing" ] && [ "$need_src" = 0 ]; then
	exit 0
fi

if [ "$(id -u)" != 0 ]; then
	echo "deps: missing packages:$missing; run 'make deps' as root to install them" >&2
	exit 1
fi

if [ "$need_src" = 1 ]; then
	cat > "$SRC_LIST" <<'SRC'
Types: deb-src
URIs: http://deb.debian.org/debian
Suites: bookworm bookworm-updates
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
SRC
fi

echo "deps: installing:$missing" >&2
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
# shellcheck disable=SC2086
[ -z "$missing" ] || apt-get install -y -qq --no-install-recommends $missing >/dev/null
