#!/usr/bin/env bash
# Static checks, the same locally and in CI (.ci/run):
#   gofmt -l (must print nothing), go vet, golangci-lint (config: .golangci.yml)
#   and govulncheck against the pinned offline vulnerability database.
# Runs every check, then exits non-zero if any failed.
# Usage: ./scripts/lint.sh
set -euo pipefail

cd "$(dirname "$0")/.."
# shellcheck source=scripts/env.sh
. scripts/env.sh
./scripts/tools.sh >/dev/null

failed=()
# step NAME CMD...: runs CMD, remembering NAME if it fails.
step() {
	local name=$1
	shift
	echo "+ $*"
	if ! "$@"; then
		failed+=("$name")
	fi
}

# gofmt -l over every Go file outside .git, .tools, vendor and testdata.
gofmt_check() {
	local files out
	mapfile -t files < <(find . \( -name .git -o -name .tools -o -name vendor -o -name testdata \) \
		-prune -o -name '*.go' -type f -print | sort)
	if ((${#files[@]} == 0)); then
		echo "gofmt: no Go files"
		return 0
	fi
	out=$(gofmt -l "${files[@]}")
	if [[ -n $out ]]; then
		echo "gofmt: these files need gofmt -w:"
		echo "$out"
		return 1
	fi
}

echo "+ gofmt -l <all .go files>"
gofmt_check || failed+=(gofmt)
step "go vet" go vet ./...
step golangci-lint .tools/bin/golangci-lint run ./...
# A database govulncheck cannot read looks like "no vulnerabilities": check
# that the index holds a module the Go team has advisories for.
vulndb_sane() { grep -q '"path":"golang.org/x/text"' .tools/vulndb/index/modules.json; }
step "vulndb index" vulndb_sane
step govulncheck .tools/bin/govulncheck -db "file://$PWD/.tools/vulndb" ./...

if ((${#failed[@]})); then
	echo "lint: FAILED: ${failed[*]}"
	exit 1
fi
echo "lint: all checks passed"
