#!/bin/sh
# Unpacks Debian's source package SRC at exactly the version of the installed
# binary package BIN (so code built from it matches the system's library), and
# prints the path of the unpacked tree. Used by make static for SQLite's shell
# (sqlite3 at libsqlite3-0's version) and cJSON (cjson at libcjson1's).
#
#   sh tools/debian-source.sh SRC BIN DIR      e.g. sqlite3 libsqlite3-0 build/debian-src
#
# Cached: a tree already unpacked under DIR is printed without any download.
# Otherwise apt-get source runs with a private configuration under DIR/apt
# (deb-src entries made from the system's own Debian deb entries, its own
# package lists and cache): the system's sources, lists and cache are not
# touched, and no root is needed. apt checks every file against the Sources
# index of the signed Release file, dpkg-source against the .dsc; this script
# then checks that the tree's debian/changelog names the pinned version.
# Needs apt, dpkg-dev (dpkg-source) and xz-utils: sh .ci/deps installs them.
set -eu
[ $# = 3 ] || { echo "usage: $0 SRC BIN DIR" >&2; exit 2; }
src=$1 bin=$2 dir=$3

die() { # $1 = what went wrong; $2 = a log to show, if any
  echo "debian-source: $1" >&2
  [ -z "${2:-}" ] || [ ! -f "$2" ] || tail -n 15 "$2" | sed 's/^/  /' >&2
  exit 1
}

ver=$(dpkg-query -W -f='${Version}' "$bin" 2>/dev/null) && [ -n "$ver" ] ||
  die "$bin is not installed, so there is no version to pin $src to (run: sh .ci/deps)"
mkdir -p "$dir"
dir=$(cd "$dir" && pwd)
# One fetch at a time (make -j runs two): they share the private apt lists.
if [ -z "${DEBIAN_SOURCE_LOCKED:-}" ] && command -v flock >/dev/null; then
  DEBIAN_SOURCE_LOCKED=1 exec flock "$dir/.lock" sh "$0" "$src" "$bin" "$dir"
fi
out="$dir/${src}_$(echo "$ver" | tr ':' '_')"
if [ -f "$out/.unpacked" ]; then
  cat "$out/.unpacked"
  exit 0
fi
command -v dpkg-source >/dev/null || die "dpkg-source is missing (package dpkg-dev; run: sh .ci/deps)"
command -v xz >/dev/null || die "xz is missing (package xz-utils; run: sh .ci/deps)"

# The private apt configuration: deb-src for each Debian repository the
# system takes its packages from.
apt="$dir/apt"
mkdir -p "$apt/lists/partial" "$apt/cache/archives/partial" "$apt/parts"
apt-get indextargets --format '$(REPO_URI) $(RELEASE) $(COMPONENT) $(ORIGIN)' 'Created-By: Packages' 2>/dev/null |
  awk '$4 == "Debian" || $4 == "" { print "deb-src " $1 " " $2 " " $3 }' | sort -u > "$apt/sources.list"
[ -s "$apt/sources.list" ] || die "no Debian repository in the system's apt sources to fetch $src's source from"
set -- -o Dir::Etc::SourceList="$apt/sources.list" -o Dir::Etc::SourceParts="$apt/parts" \
  -o Dir::State::Lists="$apt/lists" -o Dir::Cache="$apt/cache" -o Dir::Etc::Preferences=/dev/null \
  -o Dir::Etc::PreferencesParts="$apt/parts" -o APT::Get::List-Cleanup=false
# As root apt hands downloads to the _apt user, who cannot write to a build
# directory: download as the user running make instead.
[ "$(id -u)" != 0 ] || set -- "$@" -o APT::Sandbox::User=root
log="$out.log"
mirrors=$(sed 's/^deb-src /    /' "$apt/sources.list")
apt-get "$@" -q update > "$log" 2>&1 || true # a repository without sources is only a warning
if ! apt-cache "$@" showsrc --only-source "$src" 2>>"$log" | grep -q "^Version: $ver\$"; then
  grep -q "^Err:" "$log" && die "cannot download the source index for $src $ver from (no access to the mirror?):
$mirrors" "$log"
  die "the mirrors do not carry Debian's source package $src $ver (the installed $bin's version):
$mirrors
  upgrade $bin to a version they carry (apt-get install --only-upgrade $bin) and retry" "$log"
fi

rm -rf "$out" && mkdir -p "$out"
(cd "$out" && apt-get "$@" -q source "$src=$ver") >> "$log" 2>&1 ||
  die "apt-get source $src=$ver failed (see $log)" "$log"
tree=$(find "$out" -mindepth 3 -maxdepth 3 -path '*/debian/changelog' | sed 's|/debian/changelog$||')
[ -n "$tree" ] && [ -d "$tree" ] || die "apt-get source $src=$ver unpacked nothing (see $log)" "$log"
got=$(dpkg-parsechangelog -l "$tree/debian/changelog" -S Version)
[ "$got" = "$ver" ] || die "$src: unpacked version $got, expected $ver"
echo "$tree" > "$out/.unpacked"
echo "$tree"
