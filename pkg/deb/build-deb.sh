#!/bin/sh
# make deb: knot-module-soa_VERSION_ARCH.deb for the knotd the module was
# built against (the system's Debian knot package), like Debian's own
# knot-module-dnstap: the module goes into knotd's module directory, where
# knotd loads it at start without a module: section, and Depends pins the
# exact knot package version it was built for.
#
#   build-deb.sh MODULE VERSION MODULE_DIR OUT_DIR
set -eu

module=$1
version=$2
moduledir=$3
out=$4
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)

knot_version=$(dpkg-query -W -f='${Version}' knot 2>/dev/null) || {
	echo "make deb: Debian's knot package is not installed (make deps)" >&2
	exit 1
}
arch=$(dpkg --print-architecture)
pkg=knot-module-soa
debversion="$version-1"

stage=$(mktemp -d "${TMPDIR:-/tmp}/$pkg.XXXXXX")
trap 'rm -rf "$stage"' EXIT

# Files.
install -d "$stage/root$moduledir" "$stage/root/usr/share/doc/$pkg"
install -m 0644 "$module" "$stage/root$moduledir/soa.so"
strip --strip-unneeded --remove-section=.comment --remove-section=.note \
	"$stage/root$moduledir/soa.so"
install -m 0644 "$root/README.md" "$root/docs/mod-soa.rst" "$stage/root/usr/share/doc/$pkg/"
install -m 0644 "$here/copyright" "$stage/root/usr/share/doc/$pkg/copyright"
sed "s/@VERSION@/$debversion/" "$here/changelog" | gzip -9n \
	>"$stage/root/usr/share/doc/$pkg/changelog.Debian.gz"
chmod 0644 "$stage/root/usr/share/doc/$pkg/changelog.Debian.gz"

# Shared library dependencies, as dpkg-shlibdeps computes them for any package.
mkdir -p "$stage/src/debian"
printf 'Source: %s\n\nPackage: %s\nArchitecture: any\n' "$pkg" "$pkg" >"$stage/src/debian/control"
shlibs=$(cd "$stage/src" && dpkg-shlibdeps -O "$stage/root$moduledir/soa.so" 2>/dev/null |
	sed -n 's/^shlibs:Depends=//p')

# Control file: the module runs in exactly the knotd it was built against.
install -d "$stage/root/DEBIAN"
size=$(du -sk --exclude=DEBIAN "$stage/root" | cut -f1)
cat >"$stage/root/DEBIAN/control" <<CONTROL
Package: $pkg
Version: $debversion
Architecture: $arch
Maintainer: mod-soa contributors <mod-soa@localhost>
Installed-Size: $size
Depends: knot (= $knot_version), $shlibs
Section: net
Priority: optional
Homepage: https://www.knot-dns.cz
Description: Knot DNS module: negative caching policy, date serials, SOA health
 mod-soa is a query module for knotd. It bounds the negative TTL of NXDOMAIN
 and NODATA answers (RFC 2308, RFC 9077), publishes date-format serials
 (YYYYMMDDNN) that never go backwards in SOA answers, negative answers,
 AXFR, IXFR and NOTIFY, and reports per-zone SOA metrics, lint findings and
 replication health in knotc zone-stats.
 .
 knotd loads it from its module directory at start; refer to it as mod-soa
 in a zone or template section.
CONTROL
(cd "$stage/root" && find . -type f ! -path './DEBIAN/*' -printf '%P\n' | sort |
	xargs md5sum) >"$stage/root/DEBIAN/md5sums"

mkdir -p "$out"
deb="$out/${pkg}_${debversion}_${arch}.deb"
dpkg-deb --root-owner-group -Zxz --build "$stage/root" "$deb" >/dev/null
echo "$deb"
