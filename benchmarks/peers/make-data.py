#!/usr/bin/python3
"""The data sets benchmarks/compare-peers.sh times, written into WORK (deterministic, seed 2017).

Two sets on the same SIZE x SIZE grid (EPSG:4536, 30 m cells):
  synthetic, tiled 256x256 (the script's first set, kept for continuity): f1..f4.tif (uniform factors with
    2 % nodata), dem.tif (smooth waves), classes.tif (interfering waves, ~56,000 polygons at 8192²);
  realistic, striped as GDAL writes a GeoTIFF by default (one row per strip at this width):
    s_f1..s_f4.tif, relief.tif (a fractal DEM, 190-4,600 m like the prefecture, steep ranges and flat
    basins), smooth.tif (a 4-class raster smoothed by a 3x3 majority filter twice, as a zoning output is:
    ~46,000 polygons with long, ragged boundaries at 8192²);
  vectors for both: faults.gpkg (50 fault lines), polys.gpkg (10,000 class polygons).
Usage: make-data.py WORK SIZE
"""
import sys

import numpy as np
from osgeo import gdal, ogr, osr

gdal.UseExceptions()
work, n = sys.argv[1], int(sys.argv[2])
srs = osr.SpatialReference()
srs.ImportFromEPSG(4536)
gt = (500000.0, 30.0, 0.0, 5000000.0, 0.0, -30.0)
rng = np.random.default_rng(2017)
# The realistic set draws from its own generator, so the synthetic set and the vectors stay as they were.
realistic = np.random.default_rng(2021)


def write(name, arr, tiled, nodata=-9999.0):
    options = ['TILED=YES', 'COMPRESS=NONE', 'BIGTIFF=IF_SAFER'] if tiled else ['BIGTIFF=IF_SAFER']
    ds = gdal.GetDriverByName('GTiff').Create(f'{work}/{name}', n, n, 1, gdal.GDT_Float32, options)
    ds.SetGeoTransform(gt)
    ds.SetProjection(srs.ExportToWkt())
    b = ds.GetRasterBand(1)
    b.SetNoDataValue(nodata)
    b.WriteArray(arr)
    ds = None


def fractal(beta, low_cut):
    """Gaussian noise with a power spectrum falling as f^-beta (fractional Brownian surface), scaled to 0..1."""
    white = realistic.standard_normal((n, n), dtype=np.float32)
    spectrum = np.fft.rfft2(white)
    del white
    fy = np.fft.fftfreq(n).astype(np.float32)[:, None]
    fx = np.fft.rfftfreq(n).astype(np.float32)[None, :]
    f = np.sqrt(fx * fx + fy * fy)
    f[0, 0] = 1
    spectrum *= np.maximum(f, low_cut) ** (-beta / 2)  # flat below low_cut (cycles per cell)
    spectrum[0, 0] = 0
    del f
    v = np.fft.irfft2(spectrum, s=(n, n)).astype(np.float32)
    del spectrum
    v -= v.min()
    v /= v.max()
    return v


def majority(c):
    """3x3 majority over classes 1..4 (0 = outside): ties keep the cell's own class if it is among the most
    frequent, else the smallest class (GeoRisk's FocalMajority rule)."""
    h, w = c.shape
    p = np.zeros((h + 2, w + 2), np.uint8)
    p[1:-1, 1:-1] = c
    counts = np.zeros((4, h, w), np.uint8)
    for k in range(4):
        m = (p == k + 1).astype(np.uint8)
        for dy in range(3):
            for dx in range(3):
                counts[k] += m[dy:dy + h, dx:dx + w]
    best = counts.max(axis=0)
    out = (np.argmax(counts == best[None], axis=0) + 1).astype(np.uint8)  # smallest class among the best
    own = np.take_along_axis(counts, (c.astype(np.intp) - 1)[None], axis=0)[0]
    return np.where(own == best, c, out)


# --- synthetic set, tiled ---------------------------------------------------------------------------
for i in range(4):  # four factor layers with 2 % nodata
    a = rng.random((n, n), dtype=np.float32) * 100
    a[rng.random((n, n)) < 0.02] = -9999
    write(f'f{i + 1}.tif', a, tiled=True)
    write(f's_f{i + 1}.tif', a, tiled=False)
    del a
y, x = np.mgrid[0:n, 0:n].astype(np.float32)
write('dem.tif', 1500 * np.sin(x * 0.003) * np.cos(y * 0.004) + x * 0.05 + 40 * rng.random((n, n), dtype=np.float32), tiled=True)
# Smooth interfering waves: blobs of ~40 cells, about 56,000 polygons at 8192².
v = np.sin(x * 0.07) * np.cos(y * 0.09) + 0.6 * np.sin((x + y) * 0.11) + 0.4 * np.cos(x * 0.05 - y * 0.13)
write('classes.tif', np.digitize(v, [-0.8, 0.2, 1.0]).astype(np.float32) + 1, tiled=True)
del x, y, v

# --- realistic set, striped -------------------------------------------------------------------------
# Relief: a fractal surface (spectral exponent 3.2, i.e. Hurst ~0.6) shaped so that basins are flat and
# ranges steep: 190 m to 4,600 m, about the prefecture's range (Ebinur Lake to the Alatau crests).
r = fractal(3.2, 0.0)
relief = 190 + 4410 * r ** 1.8
write('relief.tif', relief.astype(np.float32), tiled=False)
del r, relief
# Zoning-like classes: a smooth field (exponent 3.4, no wavelengths beyond 500 cells) with cell noise,
# cut at its quartiles, then the 3x3 majority filter twice (what a minimum-mapping-unit step leaves:
# ragged, long class boundaries and few specks).
z = fractal(3.4, 0.002) + 0.010 * realistic.standard_normal((n, n), dtype=np.float32)
cls = (np.digitize(z, np.quantile(z[::7, ::7], [0.25, 0.5, 0.75])) + 1).astype(np.uint8)
del z
cls = majority(majority(cls))
write('smooth.tif', cls.astype(np.float32), tiled=False)
del cls

# --- vectors ----------------------------------------------------------------------------------------
ext = n * 30
drv = ogr.GetDriverByName('GPKG')
ds = drv.CreateDataSource(f'{work}/faults.gpkg')
lyr = ds.CreateLayer('faults', srs, ogr.wkbLineString)
for i in range(50):
    g = ogr.Geometry(ogr.wkbLineString)
    for k in range(6):
        g.AddPoint_2D(500000 + rng.random() * ext, 5000000 - rng.random() * ext)
    f = ogr.Feature(lyr.GetLayerDefn())
    f.SetGeometry(g)
    lyr.CreateFeature(f)
ds = None
ds = drv.CreateDataSource(f'{work}/polys.gpkg')
lyr = ds.CreateLayer('polys', srs, ogr.wkbPolygon)
lyr.CreateField(ogr.FieldDefn('class', ogr.OFTInteger))
lyr.StartTransaction()
for i in range(10000):
    cx, cy, r = 500000 + rng.random() * ext, 5000000 - rng.random() * ext, 100 + rng.random() * 2000
    ring = ogr.Geometry(ogr.wkbLinearRing)
    for k in range(7):
        a = 2 * np.pi * k / 7
        rr = r * (0.6 + 0.4 * rng.random())
        ring.AddPoint_2D(cx + rr * np.cos(a), cy + rr * np.sin(a))
    ring.CloseRings()
    g = ogr.Geometry(ogr.wkbPolygon)
    g.AddGeometry(ring)
    f = ogr.Feature(lyr.GetLayerDefn())
    f.SetGeometry(g)
    f.SetField('class', i % 4 + 1)
    lyr.CreateFeature(f)
lyr.CommitTransaction()
ds = None
