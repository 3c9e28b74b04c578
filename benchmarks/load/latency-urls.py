#!/usr/bin/python3
"""URL lists for benchmarks/serve-latency.sh, from a running service's tileset list (GET /tiles).
  latency-urls.py BASE_URL OUT_DIR [COLD_COUNT]
writes OUT_DIR/cold.txt (COLD_COUNT distinct tile URLs, default 60,000, over every vector tileset, the raster
tilesets and zooms 6-14, in random order), warm.txt (2,000 vector tile URLs at zooms 8-14 over the region, for
the cached passes), site.txt (2,000 site-risk queries) and mixed.txt (70 % warm vector tiles, 15 % raster
tiles, 15 % site-risk)."""
import json, math, random, sys, urllib.request

base, out = sys.argv[1], sys.argv[2]
cold_count = int(sys.argv[3]) if len(sys.argv) > 3 else 60000
random.seed(20170809)
lon0, lat0, lon1, lat1 = 79.9, 44.05, 83.85, 45.35


def tile_range(z):
    n = 2 ** z
    def xy(lon, lat):
        return int((lon + 180) / 360 * n), int((1 - math.asinh(math.tan(math.radians(lat))) / math.pi) / 2 * n)
    (x0, y0), (x1, y1) = xy(lon0, lat1), xy(lon1, lat0)
    return range(x0, x1 + 1), range(y0, y1 + 1)


tilesets = [t['id'] for t in json.load(urllib.request.urlopen(f'{base}/tiles'))]
rasters = ['grade', 'risk', 'hillshade']
# Every (tileset, z, x, y) over the region at zooms 6-14 is a candidate; draw distinct ones at random.
candidates = []
for z in range(6, 15):
    xs, ys = tile_range(z)
    candidates.append((z, xs, ys, len(xs) * len(ys)))
total = sum(c[3] for c in candidates) * (len(tilesets) + len(rasters))
if total < cold_count:
    sys.exit(f'only {total} distinct tile URLs exist; asked for {cold_count}')
seen, cold = set(), []
while len(cold) < cold_count:
    z, xs, ys, _ = random.choices(candidates, weights=[c[3] for c in candidates])[0]
    x, y = random.choice(xs), random.choice(ys)
    name = random.choice(tilesets + rasters)
    url = f'/tiles/{name}/{z}/{x}/{y}.png' if name in rasters else f'/tiles/{name}/{z}/{x}/{y}.mvt'
    if url not in seen:
        seen.add(url)
        cold.append(url)
open(f'{out}/cold.txt', 'w').write('\n'.join(cold) + '\n')

warm = []
for _ in range(2000):
    z = random.randint(8, 14)
    xs, ys = tile_range(z)
    warm.append(f'/tiles/zoning/{z}/{random.choice(xs)}/{random.choice(ys)}.mvt')
open(f'{out}/warm.txt', 'w').write('\n'.join(warm) + '\n')

site = [f'/api/v1/site-risk?lon={random.uniform(lon0, lon1):.5f}&lat={random.uniform(lat0, lat1):.5f}&category={random.choice("ABCD")}' for _ in range(2000)]
open(f'{out}/site.txt', 'w').write('\n'.join(site) + '\n')

mixed = []
for _ in range(4000):
    r = random.random()
    if r < 0.7:
        mixed.append(random.choice(warm))
    elif r < 0.85:
        z = random.randint(8, 12)
        xs, ys = tile_range(z)
        mixed.append(f'/tiles/{random.choice(["grade", "risk"])}/{z}/{random.choice(xs)}/{random.choice(ys)}.png')
    else:
        mixed.append(random.choice(site))
open(f'{out}/mixed.txt', 'w').write('\n'.join(mixed) + '\n')
print(f'{len(tilesets)} vector tilesets + {len(rasters)} raster; {total} distinct tile URLs at z6-14; cold {len(cold)}, warm {len(warm)}')
