#!/usr/bin/python3
"""gdal_polygonize with its best GeoPackage writing: GDALPolygonize into a layer inside one transaction
(GDAL 3.6's gdal_polygonize.py writes feature by feature without one). Same layer and field as
gdal_polygonize.py: layer "zones", integer field "class", 4-connected.
Usage: gdal-polygonize-gpkg.py INPUT.tif OUTPUT.gpkg"""
import sys

from osgeo import gdal, ogr

gdal.UseExceptions()
src = gdal.Open(sys.argv[1])
band = src.GetRasterBand(1)
out = ogr.GetDriverByName('GPKG').CreateDataSource(sys.argv[2])
layer = out.CreateLayer('zones', src.GetSpatialRef(), ogr.wkbPolygon)
layer.CreateField(ogr.FieldDefn('class', ogr.OFTInteger))
out.StartTransaction()
gdal.Polygonize(band, band.GetMaskBand(), layer, 0, [])
out.CommitTransaction()
out = None
