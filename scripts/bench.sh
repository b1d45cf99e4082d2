#!/usr/bin/env bash
# Runs the benchmarks behind SPEC section 12 and prints their figures.
# Usage: scripts/bench.sh [go test -bench regexp]   (default: all)
set -euo pipefail
cd "$(dirname "$0")/.."
export CGO_ENABLED=0
pattern=${1:-.}
pkgs=$(go list ./... | while read -r p; do
	dir=$(go list -f '{{.Dir}}' "$p")
	grep -ls '^func Benchmark' "$dir"/*_test.go >/dev/null 2>&1 && echo "$p"
done)
go test -run='^$' -bench="$pattern" -benchmem -count=1 $pkgs
