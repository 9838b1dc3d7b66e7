#!/usr/bin/env bash
# Makes the real Debian 12 (bookworm) dpkg status file that the inventory
# tests read besides this machine's (internal/inventory, TestDpkgStatusDebian):
# mmdebstrap installs a minimal Debian system (variant minbase) from the
# machine's Debian mirror into a scratch directory, with nano installed and
# then removed again by dpkg (so the file also holds a "deinstall ok
# config-files" entry written by dpkg itself), and the status file and
# os-release are kept in a cache directory; the rest is deleted.
#
# No Debian binary package ships a dpkg status file among its examples or
# test data (what was searched: internal/inventory/testdata.md); apt's source
# package does (apt_examples below), and a real system's file made by
# Debian's own tools covers what those old examples lack. Nothing is copied
# into the repository.
#
# Idempotent: does nothing when the files are there. Takes about a minute
# otherwise. Needs root and apt-get; exits 0 with a message when it cannot run,
# and the test then skips (outside CI) or fails (CI=true) saying why.
#   ./scripts/debian-status.sh          make the files when missing
#   ./scripts/debian-status.sh --check  exit 1 when missing, make nothing
# It also fetches apt's example status files (apt_examples below).
#   ./scripts/debian-status.sh --path   print the cache directory
# The cache directory is $VIGIL_DEBIAN_STATUS_DIR, default
# /var/cache/vigil-testdata/debian12-minbase.
set -euo pipefail

dir=${VIGIL_DEBIAN_STATUS_DIR:-/var/cache/vigil-testdata/debian12-minbase}

case ${1:-} in
--path)
	echo "$dir"
	exit 0
	;;
--check)
	if [[ -s $dir/status && -s $dir/os-release ]]; then exit 0; fi
	echo "debian-status: $dir/status missing" >&2
	exit 1
	;;
esac

# apt's own example status files (its source package's test/integration/
# status-*: real dpkg status files from bug reports, used by apt's test
# suite), fetched with apt-get source from the same mirror (apt checks the
# signed Release, then the hashes of the .dsc and the tarball) and kept in
# $VIGIL_APT_EXAMPLES_DIR (default /var/cache/vigil-testdata/apt-status-examples).
examples=${VIGIL_APT_EXAMPLES_DIR:-/var/cache/vigil-testdata/apt-status-examples}
apt_examples() {
	if compgen -G "$examples/status-*" >/dev/null; then
		echo "debian-status: $examples present"
		return 0
	fi
	if [[ $(id -u) != 0 ]] || ! command -v apt-get >/dev/null; then
		echo "debian-status: $examples missing, and cannot make it (needs root and apt-get); TestDpkgStatusAptExamples will skip" >&2
		return 0
	fi
	local mirror t
	mirror=$(awk '/^URIs:/ { print $2; exit }' /etc/apt/sources.list.d/debian.sources 2>/dev/null || true)
	mirror=${mirror:-http://deb.debian.org/debian}
	t=$(mktemp -d /var/tmp/vigil-apt-src.XXXXXX)
	mkdir -p "$t/lists/partial" "$t/cache/archives/partial" "$t/src" "$t/out"
	echo "deb-src ${mirror%/} bookworm main" >"$t/sources.list"
	local o=(-o "Dir::Etc::SourceList=$t/sources.list" -o Dir::Etc::SourceParts=/nonexistent
		-o "Dir::State::Lists=$t/lists" -o "Dir::Cache=$t/cache" -o APT::Sandbox::User=root)
	echo "+ apt-get source --download-only apt (bookworm, $mirror)"
	apt-get "${o[@]}" update -qq
	(cd "$t/src" && apt-get "${o[@]}" source --download-only -qq apt)
	tar -xJf "$t"/src/apt_*.tar.xz -C "$t/out" --strip-components=3 --wildcards '*/test/integration/status-*'
	printf '%s\n' "dpkg status files from apt's source package $(basename "$t"/src/apt_*.dsc .dsc) (test/integration/status-*)," \
		"fetched by vigil's scripts/debian-status.sh on $(date -u +%Y-%m-%dT%H:%M:%SZ) from $mirror." >"$t/out/README"
	mkdir -p "$(dirname "$examples")"
	rm -rf "$examples"
	mv "$t/out" "$examples"
	rm -rf "$t"
	echo "debian-status: $examples made ($(find "$examples" -name 'status-*' | wc -l) files)"
}
apt_examples

if [[ -s $dir/status && -s $dir/os-release ]]; then
	echo "debian-status: $dir/status present"
	exit 0
fi
if [[ $(id -u) != 0 ]] || ! command -v apt-get >/dev/null; then
	echo "debian-status: $dir/status missing, and cannot make it (needs root and apt-get); TestDpkgStatusDebian will skip" >&2
	exit 0
fi

export DEBIAN_FRONTEND=noninteractive
if ! command -v mmdebstrap >/dev/null; then
	echo "+ apt-get install mmdebstrap"
	if ! compgen -G '/var/lib/apt/lists/*_Packages' >/dev/null; then
		apt-get update -qq
	fi
	if ! apt-get install -y -qq --no-install-recommends mmdebstrap >/dev/null; then
		apt-get update -qq
		apt-get install -y -qq --no-install-recommends mmdebstrap >/dev/null
	fi
fi

# The machine's Debian mirror (deb822 sources first, then one-line sources).
mirror=$(awk '/^URIs:/ { print $2; exit }' /etc/apt/sources.list.d/debian.sources 2>/dev/null || true)
if [[ -z $mirror ]]; then
	mirror=$(awk '$1 == "deb" && $2 !~ /^\[/ && $2 ~ /debian\/?$/ { print $2; exit }' /etc/apt/sources.list 2>/dev/null || true)
fi
mirror=${mirror:-http://deb.debian.org/debian}
mirror=${mirror%/}

tmp=$(mktemp -d /var/tmp/vigil-debian-status.XXXXXX)
trap 'rm -rf "$tmp"' EXIT
start=$SECONDS
echo "+ mmdebstrap --variant=minbase bookworm ($mirror, with bookworm-security)"
# shellcheck disable=SC2016 # $1 is mmdebstrap's, expanded by its hook shell
mmdebstrap --quiet --mode=root --variant=minbase --include=nano \
	--customize-hook='chroot "$1" dpkg --remove nano' \
	bookworm "$tmp/root" \
	"deb $mirror bookworm main" "deb $mirror bookworm-updates main" "deb $mirror-security bookworm-security main" </dev/null

mkdir -p "$tmp/out"
cp "$tmp/root/var/lib/dpkg/status" "$tmp/out/status"
cp -L "$tmp/root/etc/os-release" "$tmp/out/os-release"
cat >"$tmp/out/README" <<EOF
The dpkg status file of a Debian 12 (bookworm) minbase system made by
vigil's scripts/debian-status.sh on $(date -u +%Y-%m-%dT%H:%M:%SZ) from $mirror
(bookworm, bookworm-updates, bookworm-security) with mmdebstrap
$(dpkg-query -W -f '${Version}' mmdebstrap), nano installed then removed by dpkg.
EOF
mkdir -p "$(dirname "$dir")"
rm -rf "$dir"
mv "$tmp/out" "$dir"
echo "debian-status: $dir/status made ($(grep -c '^Package:' "$dir/status") packages) in $((SECONDS - start))s"
