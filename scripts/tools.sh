#!/usr/bin/env bash
# Installs the pinned lint/CI tools into the project-local .tools/ directory:
#   .tools/bin/golangci-lint   linter runner          (scripts/lint.sh)
#   .tools/bin/govulncheck     vulnerability checker  (scripts/lint.sh)
#   .tools/vulndb              vulnerability data for govulncheck -db file://...
#
# govulncheck's default database (vuln.go.dev) is not reachable from our
# machines. The same data is published as OSV files in the golang.org/x/vulndb
# module (the Go team's source of vuln.go.dev); .tools/vulndb links to the
# data/osv folder of that module, pinned below, in the Go module cache.
# govulncheck v1.9.0 reads a folder of OSV files as a database and indexes it
# itself (checked: same findings as with an index built by vulndb's indexdb).
#
# Idempotent: anything already present at the pinned version is left alone, so
# a second run takes a fraction of a second. Bump versions here, and only here.
set -euo pipefail

cd "$(dirname "$0")/.."

GOLANGCI_LINT_MOD=github.com/golangci/golangci-lint/v2
GOLANGCI_LINT_VERSION=v2.15.0
GOVULNCHECK_MOD=golang.org/x/vuln
GOVULNCHECK_VERSION=v1.9.0
# Vulnerability data snapshot; newest pseudo-version:
#   go list -m -json golang.org/x/vulndb@master   (run outside any module)
VULNDB_MOD=golang.org/x/vulndb
VULNDB_VERSION=v0.0.0-20261105234957-e22db6528018

TOOLS="$PWD/.tools"
export GOBIN="$TOOLS/bin"
# shellcheck source=scripts/env.sh
. scripts/env.sh
mkdir -p "$GOBIN"

# install_tool NAME MODULE VERSION PACKAGE
# Skips the build when $GOBIN/NAME was built from MODULE at VERSION.
install_tool() {
	local name=$1 mod=$2 version=$3 pkg=$4
	local bin="$GOBIN/$name"
	# Built from MODULE@VERSION with this toolchain (a linter built with an
	# older Go cannot read the newer standard library's export data).
	if [[ -x $bin ]] &&
		go version -m "$bin" 2>/dev/null | awk -v m="$mod" -v v="$version" -v g="$GOTOOLCHAIN" \
			'NR == 1 && $2 == g { tc = 1 } $1 == "mod" && $2 == m && $3 == v { found = 1 } END { exit !(found && tc) }'; then
		echo "tools: $name $version already installed"
		return 0
	fi
	echo "tools: go install $pkg@$version"
	go install "$pkg@$version"
}

install_tool golangci-lint "$GOLANGCI_LINT_MOD" "$GOLANGCI_LINT_VERSION" \
	"$GOLANGCI_LINT_MOD/cmd/golangci-lint"
install_tool govulncheck "$GOVULNCHECK_MOD" "$GOVULNCHECK_VERSION" \
	"$GOVULNCHECK_MOD/cmd/govulncheck"

# The vulnerability data, fetched and indexed once per VULNDB_VERSION:
# govulncheck needs a v1 database (index/db.json, index/modules.json, ID/*.json),
# which vulndb's own cmd/indexdb builds from the module's data/osv folder. A
# bare folder of OSV files is silently read as an empty database.
vulndb="$TOOLS/vulndb"
stamp="$TOOLS/vulndb.version"
if [[ -f $vulndb/index/modules.json && -f $stamp && $(<"$stamp") == "$VULNDB_VERSION" ]]; then
	echo "tools: vulndb $VULNDB_VERSION already present"
else
	echo "tools: building vulndb $VULNDB_VERSION with $VULNDB_MOD/cmd/indexdb"
	# Work outside this module so go.mod and go.sum are never touched.
	tmp=$(mktemp -d)
	(
		cd "$tmp"
		go mod init vulndb-index >/dev/null 2>&1
		src=$(go mod download -json "$VULNDB_MOD@$VULNDB_VERSION" |
			sed -n 's/^[[:space:]]*"Dir": "\(.*\)",$/\1/p')
		if [[ -z $src || ! -d $src/data/osv ]]; then
			echo "tools: no data/osv in $VULNDB_MOD@$VULNDB_VERSION" >&2
			exit 1
		fi
		rm -rf "$vulndb" "$stamp"
		GOFLAGS=-mod=mod go run "$VULNDB_MOD/cmd/indexdb@$VULNDB_VERSION" -vulns "$src/data/osv" -out "$vulndb"
	)
	rm -rf "$tmp"
	echo "$VULNDB_VERSION" >"$stamp"
fi
