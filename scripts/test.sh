#!/usr/bin/env bash
# Runs every test of the project: what `make test` and CI run.
set -euo pipefail
cd "$(dirname "$0")/.."
export CGO_ENABLED=0
go vet ./...
GOARCH=arm GOARM=7 go vet ./...
unformatted=$(gofmt -l $(git ls-files '*.go'))
if [ -n "$unformatted" ]; then echo "gofmt needed: $unformatted" >&2; exit 1; fi
go test -shuffle=on -count=1 -timeout 30m ./...
