#!/usr/bin/env bash
# Refreshes wwwroot/vendor/maplibre-gl and wwwroot/vendor/pmtiles from the npm packages pinned in package.json (needs npm).
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

# pmtiles: the self-contained browser build (global `pmtiles`), for the web map's ?archive= mode (MapLibre's pmtiles:// protocol).
pm=$(node -p "require('./package.json').dependencies['pmtiles']")
(cd "$tmp" && npm pack "pmtiles@$pm" >/dev/null && mkdir pm && tar xzf "pmtiles-$pm.tgz" -C pm)
mkdir -p ../wwwroot/vendor/pmtiles
sed 's|//# sourceMappingURL=pmtiles.js.map||' "$tmp/pm/package/dist/pmtiles.js" > ../wwwroot/vendor/pmtiles/pmtiles.js
echo "pmtiles $pm vendored into ../wwwroot/vendor/pmtiles (licence: BSD-3-Clause, see LICENSE.txt there)"
