#!/usr/bin/env bash
# Refreshes wwwroot/vendor/maplibre-gl from the npm package pinned in package.json (needs npm).
# The files are committed so the service serves the map offline, with no CDN.
set -euo pipefail
cd "$(dirname "$0")"
version=$(node -p "require('./package.json').dependencies['maplibre-gl']")
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
(cd "$tmp" && npm pack "maplibre-gl@$version" >/dev/null && tar xzf "maplibre-gl-$version.tgz")
target=../wwwroot/vendor/maplibre-gl
mkdir -p "$target"
for f in maplibre-gl.mjs maplibre-gl-worker.mjs maplibre-gl-shared.mjs maplibre-gl.css; do
  cp "$tmp/package/dist/$f" "$target/"
done
cp "$tmp/package/LICENSE.txt" "$target/"
echo "maplibre-gl $version vendored into $target"
