"""Hostile run against a running GeoRisk service (issue #16): random tileset names, parallel 4000-pixel maps,
10000-feature pages, failed authentications and hostile uploads (crs links to a local canary, @file fields,
malformed multipart). Prints what the canary received and the /metrics size before and after.
   python3 benchmarks/hostile/run.py BASE_URL GEOLOGIST_KEY [FLOOD_GEOJSON for 20 concurrent uploads first]"""
import concurrent.futures as cf, http.server, json, random, socketserver, sys, threading, time, urllib.error, urllib.request, uuid

base, key = sys.argv[1].rstrip("/"), sys.argv[2]
random.seed(16)
hits = []

class Canary(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        hits.append(self.path)
        self.send_response(404); self.end_headers()
    def log_message(self, *a):
        pass

canary = socketserver.TCPServer(("127.0.0.1", 0), Canary)
threading.Thread(target=canary.serve_forever, daemon=True).start()
curl = f"http://127.0.0.1:{canary.server_address[1]}"

def get(path, headers=None, timeout=120):
    req = urllib.request.Request(base + path, headers=headers or {})
    try:
        with urllib.request.urlopen(req, timeout=timeout) as r:
            return r.status, r.read()
    except urllib.error.HTTPError as e:
        return e.code, e.read()
    except (ConnectionError, TimeoutError) as e:
        return type(e).__name__, b""

def post(path, body, content_type, headers=None):
    req = urllib.request.Request(base + path, data=body, method="POST", headers={"Content-Type": content_type, **(headers or {})})
    try:
        with urllib.request.urlopen(req, timeout=120) as r:
            return r.status, r.read()
    except urllib.error.HTTPError as e:
        return e.code, e.read()

def multipart(fields, filename, content):
    b = uuid.uuid4().hex
    parts = [f'--{b}\r\nContent-Disposition: form-data; name="{k}"\r\n\r\n{v}\r\n'.encode() for k, v in fields.items()]
    parts.append(f'--{b}\r\nContent-Disposition: form-data; name="file"; filename="{filename}"\r\n\r\n'.encode() + content + f"\r\n--{b}--\r\n".encode())
    return b"".join(parts), f"multipart/form-data; boundary={b}"

status = {}
def count(name, code):
    status.setdefault(name, {}).setdefault(code, 0)
    status[name][code] += 1

metrics_before = len(get("/metrics")[1])

def wait_job(job_id):
    for _ in range(3000):
        state = json.loads(get(f"/api/v1/jobs/{job_id}", {"X-API-Key": key})[1])
        if state["state"] in ("succeeded", "failed", "cancelled"):
            return state
        time.sleep(0.2)
    raise SystemExit(f"job {job_id} did not finish")

# 20 concurrent ordinary uploads, each parsed by its own worker process: all must publish.
flood = open(sys.argv[3], "rb").read() if len(sys.argv) > 3 else None
if flood:
    def upload(i):
        body, ctype = multipart({"kind": "flood-zones", "layer": f"concurrent-{i}"}, f"flood {i}.geojson", flood)
        code, text = post("/api/v1/surveys/bortala-flood-2023/layers", body, ctype, {"X-API-Key": key})
        return wait_job(json.loads(text)["id"])["state"] if code == 202 else code
    with cf.ThreadPoolExecutor(20) as pool:
        for outcome in pool.map(upload, range(20)):
            count("20 concurrent uploads", outcome)
    if status["20 concurrent uploads"] != {"succeeded": 20}:
        raise SystemExit(f"concurrent uploads: {status['20 concurrent uploads']}")

with cf.ThreadPoolExecutor(16) as pool:
    for code, _ in pool.map(lambda i: get(f"/tiles/{uuid.uuid4().hex}/7/{i % 128}/{i % 64}.mvt"), range(1500)):
        count("random tileset names x1500", code)
with cf.ThreadPoolExecutor(12) as pool:
    for code, _ in pool.map(lambda w: get(f"/api/v1/maps/zoning.png?admin=652723&width={w}"), [4000 - i for i in range(12)]):
        count("zoning.png width~4000 x12 parallel", code)
    for code, _ in pool.map(lambda w: get("/api/v1/maps/zoning.png?admin=652723&width=4000"), range(12)):
        count("zoning.png width=4000 same x12 parallel", code)
with cf.ThreadPoolExecutor(8) as pool:
    for code, _ in pool.map(lambda i: get(f"/collections/zoning/items?limit=10000&offset={i}"), range(8)):
        count("items?limit=10000 x8 parallel", code)

poly = '{"type":"Feature","properties":{"grade":2},"geometry":{"type":"Polygon","coordinates":[[[82,44.9],[82.1,44.9],[82.1,45],[82,44.9]]]}}'
uploads = [
    ("crs-link.geojson", '{"type":"FeatureCollection","crs":{"type":"link","properties":{"href":"%s/crs","type":"ogcwkt"}},"features":[%s]}' % (curl, poly), {}),
    ("crs-name.geojson", '{"type":"FeatureCollection","crs":{"type":"name","properties":{"name":"%s/def/crs"}},"features":[%s]}' % (curl, poly), {}),
    ("networklink.kml", '<kml xmlns="http://www.opengis.net/kml/2.2"><Document><NetworkLink><Link><href>%s/n.kml</href></Link></NetworkLink></Document></kml>' % curl, {"crs": "EPSG:4326"}),
    ("vrt.tif", '<VRTDataset rasterXSize="1" rasterYSize="1"><VRTRasterBand dataType="Byte" band="1"><SimpleSource><SourceFilename>/vsicurl/%s/x.tif</SourceFilename></SimpleSource></VRTRasterBand></VRTDataset>' % curl, {}),
    ("wms.tif", '<GDAL_WMS><Service name="WMS"><ServerUrl>%s/wms?</ServerUrl><Layers>x</Layers></Service></GDAL_WMS>' % curl, {}),
    ("@lake.geojson", '{"type":"FeatureCollection","features":[%s]}' % poly, {"crs": "@/etc/hostname"}),
    ("plain.geojson", '{"type":"FeatureCollection","features":[%s]}' % poly, {"crs": curl + "/crs.prj"}),
]
jobs = []
for name, content, extra in uploads:
    kind = "raster-factor" if name.endswith(".tif") else "hazard-zones"
    body, ctype = multipart({"kind": kind, "layer": "hostile-" + uuid.uuid4().hex[:8], **extra}, name, content.encode())
    code, text = post("/api/v1/surveys/bortala-geohazard-50k/layers", body, ctype, {"X-API-Key": key})
    count("hostile uploads", code)
    if code == 202:
        jobs.append(json.loads(text)["id"])
code, _ = post("/api/v1/surveys/bortala-geohazard-50k/layers", b"garbage", "multipart/form-data; boundary=x", {"X-API-Key": key})
count("malformed multipart", code)
for job in jobs:
    state = wait_job(job)
    count("hostile upload jobs", state["state"] + ":" + ((state.get("error") or {}).get("code") or ""))
# Last: guessing keys blocks every request with a key from this address for a minute, the good one included.
for i in range(200):
    count("wrong API keys x200", get("/api/v1/layers", {"X-API-Key": f"grk_{uuid.uuid4().hex}"})[0])
metrics_after = len(get("/metrics")[1])
print(json.dumps({"status": status, "canaryRequests": hits, "metricsBytesBefore": metrics_before, "metricsBytesAfter": metrics_after}, indent=1))
if hits:
    raise SystemExit("the canary received requests")
