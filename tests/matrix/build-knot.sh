#!/bin/sh
# Builds one Knot DNS release from its source tarball into a prefix, for the
# series matrix (make knot KNOT_VERSION=X.Y.Z).
#
#   build-knot.sh VERSION SRC_DIR PREFIX
#
# SRC_DIR holds knot-VERSION.tar.xz (and SHA256SUMS, checked when present).
# PREFIX/.built is written last: a prefix without it is removed and built
# again, so an interrupted build is never taken for a finished one.
# Configure options: ../shared/knot/README.md (verified on Debian bookworm);
# D-Bus support comes from libsystemd-dev.
set -eu

version=$1
src=$2
prefix=$3

if [ -f "$prefix/.built" ]; then
	echo "knot $version: already built in $prefix"
	exit 0
fi

tarball="$src/knot-$version.tar.xz"
if [ ! -f "$tarball" ]; then
	echo "knot $version: no source tarball $tarball (set KNOT_SRC)" >&2
	exit 1
fi
if [ -f "$src/SHA256SUMS" ] && grep -q "knot-$version.tar.xz" "$src/SHA256SUMS"; then
	(cd "$src" && grep "knot-$version.tar.xz" SHA256SUMS | sha256sum -c --quiet -) || {
		echo "knot $version: $tarball does not match SHA256SUMS" >&2
		exit 1
	}
fi

work=$(mktemp -d "${TMPDIR:-/tmp}/knot-build-$version.XXXXXX")
trap 'rm -rf "$work"' EXIT
rm -rf "$prefix"

echo "knot $version: building into $prefix (about 2 minutes on 2 cores)"
tar -xJf "$tarball" -C "$work"
cd "$work/knot-$version"
autoreconf -if >"$work/autoreconf.log" 2>&1 || { cat "$work/autoreconf.log" >&2; exit 1; }
# 3.3 and 3.4 warn about --disable-redis (an unknown option) and go on.
./configure --prefix="$prefix" --with-moduledir="$prefix/lib/knot/modules" \
	--disable-documentation --disable-utilities --disable-fastparser \
	--disable-xdp --disable-quic --disable-static --disable-redis \
	>"$work/configure.log" 2>&1 || { tail -n 40 "$work/configure.log" >&2; exit 1; }
grep -Eq "D-Bus support: +systemd|Systemd integration: +yes$" "$work/configure.log" ||
	echo "knot $version: warning: built without D-Bus support" >&2
make -j"$(nproc)" >"$work/make.log" 2>&1 || { tail -n 40 "$work/make.log" >&2; exit 1; }
make install >"$work/install.log" 2>&1 || { tail -n 40 "$work/install.log" >&2; exit 1; }
mkdir -p "$prefix/lib/knot/modules"
"$prefix/sbin/knotd" -V | head -n 1
echo "$version" >"$prefix/.built"
