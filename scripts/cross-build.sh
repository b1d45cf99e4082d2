#!/usr/bin/env bash
# Builds static gsmbox binaries for the boards: linux/arm (armv7) and linux/arm64.
set -euo pipefail
cd "$(dirname "$0")/.."
version=${1:-$(git describe --tags --always --dirty 2>/dev/null || echo dev)}
export CGO_ENABLED=0
mkdir -p dist
for target in arm:7 arm64:; do
	arch=${target%%:*} arm=${target#*:}
	out=dist/gsmbox-linux-$arch${arm:+v$arm}
	GOOS=linux GOARCH=$arch GOARM=$arm go build -trimpath -ldflags "-s -w -X main.version=$version" -o "$out" ./cmd/gsmbox
	printf '%s\t%s bytes\n' "$out" "$(stat -c %s "$out")"
done
