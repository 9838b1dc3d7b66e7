#!/usr/bin/env bash
# Runs all tests, then every fuzz target briefly (FUZZTIME each, default 10s).
# Extra arguments are go test flags, passed to every go test run, e.g.
#   ./scripts/test.sh -short     # also skips the fuzzing
#   ./scripts/test.sh -race -v
set -euo pipefail

cd "$(dirname "$0")/.."
# shellcheck source=scripts/env.sh
. scripts/env.sh
fuzztime=${FUZZTIME:-10s}

echo "+ go test -count=1 ${*:+$* }./..."
go test -count=1 "$@" ./...

for arg in "$@"; do
	if [[ $arg == -short || $arg == -short=true || $arg == --short ]]; then
		echo "test: -short given, skipping fuzz targets"
		exit 0
	fi
done

# Fuzz targets: "func FuzzXxx(f *testing.F)" in *_test.go. go test -fuzz takes
# one package and one target per run.
mapfile -t targets < <(grep -rEo --include='*_test.go' \
	--exclude-dir=.git --exclude-dir=.tools --exclude-dir=vendor --exclude-dir=testdata \
	'^func Fuzz[[:alnum:]_]*\([[:alnum:]_]+ \*testing\.F\)' . |
	sed -E 's#^(.*)/[^/]*_test\.go:func (Fuzz[[:alnum:]_]*)\(.*#\1 \2#' | sort -u)

if ((${#targets[@]} == 0)); then
	echo "test: no fuzz targets found"
	exit 0
fi

failed=()
for target in "${targets[@]}"; do
	read -r pkg name <<<"$target"
	echo "+ go test ${*:+$* }-run='^\$' -fuzz='^$name\$' -fuzztime=$fuzztime $pkg"
	if ! go test "$@" -run='^$' -fuzz="^$name\$" -fuzztime="$fuzztime" -fuzzminimizetime=5s "$pkg"; then
		failed+=("$pkg:$name")
	fi
done

if ((${#failed[@]})); then
	echo "test: fuzz targets FAILED: ${failed[*]}"
	exit 1
fi
echo "test: ${#targets[@]} fuzz targets passed"
