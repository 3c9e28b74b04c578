#!/usr/bin/env bash
# nginx serving GeoRisk's cached tiles as static files, the ceiling for cached tiles in the serving benchmarks:
#   benchmarks/load/nginx-static-tiles.sh BASE_URL WORK_DIR NGINX_PORT
# fetches every URL of WORK_DIR/warm.txt from BASE_URL with gzip, keeps the non-empty ones as files under
# WORK_DIR/nginx/root (the very bytes GeoRisk sends), lists them in WORK_DIR/cached.txt and starts nginx on
# 127.0.0.1:NGINX_PORT serving them with GeoRisk's headers. Stop it with: nginx -p WORK_DIR/nginx -c nginx.conf -s stop
set -euo pipefail
base=$1 work=$2 port=$3
mkdir -p "$work/nginx/root" "$work/nginx/logs"
chmod 755 "$work" # nginx's workers run as www-data: mktemp's folder is the owner's alone
/usr/bin/python3 - "$base" "$work" <<'PY'
import os, sys, urllib.request
base, work = sys.argv[1], sys.argv[2]
kept = []
for url in dict.fromkeys(open(f'{work}/warm.txt').read().split()):
    r = urllib.request.urlopen(urllib.request.Request(base + url, headers={'Accept-Encoding': 'gzip'}))
    if r.status == 200:
        body = r.read()
        path = f'{work}/nginx/root{url}'
        os.makedirs(os.path.dirname(path), exist_ok=True)
        open(path, 'wb').write(body)
        kept.append(url)
open(f'{work}/cached.txt', 'w').write('\n'.join(kept) + '\n')
for root, dirs, files in os.walk(f'{work}/nginx/root'):
    for name in dirs + files:
        os.chmod(os.path.join(root, name), 0o755 if name in dirs else 0o644)
sizes = [os.path.getsize(f'{work}/nginx/root{u}') for u in kept]
print(f'cached set: {len(kept)} non-empty zoning tiles, {sum(sizes) / len(sizes) / 1024:.1f} KB on average (gzip)', file=sys.stderr)
PY
cat >"$work/nginx/nginx.conf" <<EOF
worker_processes auto;
pid $work/nginx/nginx.pid;
error_log $work/nginx/logs/error.log;
events { worker_connections 4096; }
http {
  access_log off;
  sendfile on;
  tcp_nopush on;
  keepalive_requests 1000000;
  types { application/vnd.mapbox-vector-tile mvt; }
  server {
    listen 127.0.0.1:$port;
    root $work/nginx/root;
    location /tiles/ { add_header Content-Encoding gzip; add_header Cache-Control "public, max-age=60, must-revalidate"; add_header Vary Accept-Encoding; }
  }
}
EOF
nginx -p "$work/nginx" -c nginx.conf
