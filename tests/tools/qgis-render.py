# Renders GeoRisk's vector tiles in headless QGIS with the published MapLibre style converted by QGIS's own
# QgsMapBoxGlStyleConverter, as a QGIS user would add them (tests/GeoRisk.Web.Tests/QgisClientTests.cs):
#   QT_QPA_PLATFORM=offscreen python3 qgis-render.py BASE OUT.png
# Prints one JSON object: QGIS version, converter warnings, the label settings found, and the rendered pixels
# nearest to each grade colour as it shows at the style's fill opacity over white.
import json, sys, urllib.request
from qgis.core import (QgsApplication, QgsCoordinateReferenceSystem, QgsMapRendererParallelJob, QgsMapSettings,
                       QgsMapBoxGlStyleConverter, QgsRectangle, QgsVectorTileLayer)
from qgis.PyQt.QtCore import QSize
from qgis.PyQt.QtGui import QColor

base, out = sys.argv[1], sys.argv[2]
app = QgsApplication([], False)
app.initQgis()
style = json.load(urllib.request.urlopen(base + '/styles/georisk.json'))
layer = QgsVectorTileLayer(f'type=xyz&url={base}/tiles/zoning/{{z}}/{{x}}/{{y}}.mvt&zmin=0&zmax=14', 'zoning')
assert layer.isValid(), 'vector tile layer not valid'
converter = QgsMapBoxGlStyleConverter()
# Only the zoning source's layers: a QGIS vector tile layer has one source.
zoning = dict(style, layers=[l for l in style['layers'] if l.get('source') == 'zoning'])
result = converter.convert(zoning)
layer.setRenderer(converter.renderer())
labeling = converter.labeling()
if labeling is not None:
    layer.setLabeling(labeling)
settings = QgsMapSettings()
settings.setLayers([layer])
settings.setDestinationCrs(QgsCoordinateReferenceSystem('EPSG:3857'))
settings.setBackgroundColor(QColor(255, 255, 255))
settings.setOutputSize(QSize(900, 500))
settings.setExtent(QgsRectangle(8890000, 5460000, 9335000, 5690000))  # Bortala, Web Mercator metres
job = QgsMapRendererParallelJob(settings)
job.start()
job.waitForFinished()
image = job.renderedImage()
image.save(out)
fill = next(l for l in style['layers'] if l['id'] == 'zoning-fill')
opacity = fill['paint'].get('fill-opacity', 1)
grades = {}
for g in style['metadata']['georisk:legend']:
    c = QColor(g['colour'])
    grades[g['grade']] = tuple(round(255 * (1 - opacity) + v * opacity) for v in (c.red(), c.green(), c.blue()))
counts = {g: 0 for g in grades}
for y in range(0, image.height(), 2):
    for x in range(0, image.width(), 2):
        p = QColor(image.pixel(x, y))
        for g, (r, gg, b) in grades.items():
            if abs(p.red() - r) <= 12 and abs(p.green() - gg) <= 12 and abs(p.blue() - b) <= 12:
                counts[g] += 1
print(json.dumps({'qgis': app.version() if hasattr(app, 'version') else '', 'result': int(result) if result is not None else None,
                  'warnings': converter.warnings(), 'labeling': labeling is not None, 'counts': counts, 'expected': grades}))
app.exitQgis()
