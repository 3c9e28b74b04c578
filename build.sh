#!/usr/bin/env bash
# GeoRisk entry points for a fresh Debian machine with the .NET SDK (run as root, or with sudo for apt).
#   ./build.sh demo [georisk demo options]   install what is missing, publish georisk, load the sample surveys, serve on :5000
#   ./build.sh test                          install what is missing, run the whole test suite
#   ./build.sh setup                         only install system packages and restore NuGet packages
#   ./build.sh publish                       only publish the georisk command to artifacts/georisk/
set -euo pipefail
cd "$(dirname "$0")"

log() { printf '\033[1m==> %s\033[0m\n' "$*" >&2; }

apt_install() {
  local missing=()
  for pkg in "$@"; do
    dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
  done
  if ((${#missing[@]})); then
    log "Installing Debian packages: ${missing[*]}"
    local sudo=""
    [ "$(id -u)" -eq 0 ] || sudo="sudo"
    $sudo apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  fi
}

# The GDAL runtime library: libgdal32 on Debian 12; newer releases bump the soname, which the binding also resolves.
gdal_runtime_package() {
  if apt-cache show libgdal32 >/dev/null 2>&1 || dpkg-query -W libgdal32 >/dev/null 2>&1; then
    echo libgdal32
  else
    apt-cache pkgnames libgdal 2>/dev/null | grep -E '^libgdal[0-9]+$' | sort -V | tail -n 1
  fi
}

# PostgreSQL 15 + PostGIS 3 on Debian 12; the newest versioned pair elsewhere.
postgis_packages() {
  local pkg
  pkg=$(apt-cache pkgnames postgresql- 2>/dev/null | grep -E '^postgresql-[0-9]+-postgis-3$' | sort -V | grep -m1 '^postgresql-15-postgis-3$' || true)
  [ -n "$pkg" ] || pkg=$(apt-cache pkgnames postgresql- 2>/dev/null | grep -E '^postgresql-[0-9]+-postgis-3$' | sort -V | tail -n 1)
  [ -n "$pkg" ] || pkg=postgresql-15-postgis-3
  echo "${pkg%-postgis-3}" "$pkg"
}

setup() {
  command -v dotnet >/dev/null || { echo "error: the .NET 10 SDK is required (dotnet not on PATH)" >&2; exit 1; }
  [ -n "$(apt-cache pkgnames libgdal 2>/dev/null | head -n 1)" ] || { [ "$(id -u)" -eq 0 ] && apt-get update -qq || true; }
  # gdal-bin and python3-gdal: GDAL's own utilities (gdal_calc.py, gdal_proximity.py, …), the tests' reference implementation.
  apt_install "$(gdal_runtime_package)" gdal-bin python3-gdal
  # libfontconfig1 and a CJK font: the printable zoning maps (/api/v1/maps/zoning.png|pdf) draw Chinese labels (the PDF
  # embeds the font).
  apt_install libfontconfig1 fonts-wqy-microhei
  log "Restoring NuGet packages"
  dotnet restore GeoRisk.sln --verbosity quiet
}

# The georisk command as users run it and as benchmarks/ measures it: a framework-dependent ReadyToRun
# publish for this machine's runtime (ahead-of-time compiled: a raster command reaches full speed at once
# instead of spending its first second in the JIT), in artifacts/georisk/ (run artifacts/georisk/georisk);
# GEORISK_PUBLISH_DIR puts it elsewhere (a benchmark that must not replace the files another one is running).
publish() {
  local out=${GEORISK_PUBLISH_DIR:-artifacts/georisk}
  log "Publishing georisk (Release, ReadyToRun) to $out"
  dotnet publish src/GeoRisk.Cli -c Release --use-current-runtime --self-contained false -p:PublishReadyToRun=true \
    --verbosity quiet -nologo -o "$out"
}

demo() {
  setup
  publish
  exec artifacts/georisk/georisk demo --surveys "$PWD/surveys" "$@"
}

run_tests() {
  setup
  # The web map is tested in Debian's Chromium (Playwright drives it headless); screenshots are kept
  # under artifacts/screenshots.
  apt_install chromium
  # poppler-utils: the printable PDF map's text and fonts are read back with pdftotext/pdffonts.
  apt_install poppler-utils
  # Headless QGIS 3.22 renders the vector tiles with the converted style (tests/GeoRisk.Web.Tests/QgisClientTests.cs):
  # about 177 MB to download, 161 s to install on the 2-core machine (measured for #18).
  apt_install python3-qgis qgis-providers
  # PostgreSQL + PostGIS for the PostGIS store's tests: each test process starts a throw-away cluster on a
  # free loopback port in a temp folder and stops it at exit (or set GEORISK_TEST_PG to use a server).
  apt_install $(postgis_packages)
  # Node.js for the third-party validators and readers the tests run (swagger-cli, Redocly, pmtiles), pinned in
  # tests/tools/package-lock.json.
  command -v npm >/dev/null || apt_install nodejs npm
  log "Installing the npm test tools"
  npm ci --prefix tests/tools --no-audit --no-fund --loglevel=error
  log "Building"
  dotnet build GeoRisk.sln -c Debug --no-restore --verbosity quiet -nologo
  log "Running tests"
  local out status=0
  out=$(mktemp)
  dotnet test GeoRisk.sln -c Debug --no-build --verbosity minimal -nologo 2>&1 | tee "$out" || status=$?
  # The API suite again on the PostGIS store (the storage contract suite runs on both stores already).
  log "Running the API tests on the PostGIS store"
  GEORISK_TEST_STORE=postgis dotnet test tests/GeoRisk.Api.Tests -c Debug --no-build --verbosity minimal -nologo 2>&1 | tee -a "$out" || status=$?
  # The SIMD kernels once more with AVX2 off, so the Vector128/scalar fallbacks are exercised too.
  log "Running the raster kernel tests with AVX2 disabled"
  DOTNET_EnableAVX2=0 DOTNET_EnableAVX512F=0 dotnet test tests/GeoRisk.Raster.Tests -c Debug --no-build --verbosity minimal -nologo \
    --filter "FullyQualifiedName~ExpressionTests|FullyQualifiedName~ClassifyTests" 2>&1 | tee -a "$out" || status=$?
  # One closing line over all test assemblies, in the form CI reads.
  awk '
    /(Passed|Failed)!/ {
      for (i = 1; i <= NF; i++) {
        gsub(",", "", $(i + 1))
        if ($i == "Failed:") f += $(i + 1)
        if ($i == "Passed:") p += $(i + 1)
        if ($i == "Skipped:") s += $(i + 1)
      }
      n++
    }
    END { printf "Test assemblies: %d\nTotal: %d passed, %d failed, %d skipped\n", n, p, f, s }
  ' "$out"
  grep -qE '(Passed|Failed)!' "$out" || { echo "error: no test assembly ran" >&2; status=1; }
  rm -f "$out"
  return "$status"
}

case "${1:-}" in
  demo) shift; demo "$@" ;;
  test) run_tests ;;
  setup) setup ;;
  publish) publish ;;
  *) sed -n '2,7p' "$0"; exit 2 ;;
esac
