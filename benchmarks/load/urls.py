"""Writes URLs for the load test: mode "mixed" (70 % vector tiles, 15 % raster tiles, 15 % site-risk), "tiles" (tiles only) or "site" (site-risk only), over the sample region at zooms 6-14."""
import math, random, sys

random.seed(20170809)
mode = sys.argv[1] if len(sys.argv) > 1 else "mixed"
lon0, lat0, lon1, lat1 = 79.9, 44.05, 83.85, 45.35

def tile(lon, lat, z):
    n = 2 ** z
    x = int((lon + 180) / 360 * n)
    y = int((1 - math.asinh(math.tan(math.radians(lat))) / math.pi) / 2 * n)
    return x, y

urls = []
vector = ["zoning", "bortala-reference:counties,bortala-reference:faults-gem,bortala-reference:faults-himatibetmap2", "bortala-geohazard-50k:hazard-zones", "bole-geohazard-10k:hazard-zones"]
for _ in range(4000):
    z = random.randint(6, 14)
    x, y = tile(random.uniform(lon0, lon1), random.uniform(lat0, lat1), z)
    r = random.random() * (0.85 if mode == "tiles" else 1) if mode != "site" else 1
    if r < 0.7:
        urls.append(f"/tiles/{random.choice(vector)}/{z}/{x}/{y}.mvt")
    elif r < 0.85:
        urls.append(f"/tiles/{random.choice(['grade', 'risk'])}/{min(z, 12)}/{x >> max(0, z - 12)}/{y >> max(0, z - 12)}.png")
    else:
        urls.append(f"/api/v1/site-risk?lon={random.uniform(lon0, lon1):.5f}&lat={random.uniform(lat0, lat1):.5f}&category={random.choice('ABCD')}")
print("\n".join(urls))
