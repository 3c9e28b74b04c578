// GeoRisk web map: zoning, site risk, uploads and run history. Plain ES modules over the service's own
// HTTP API; MapLibre GL JS is vendored from its npm package, so the page works offline.
import * as maplibregl from '/vendor/maplibre-gl/maplibre-gl.mjs';

const I18N = {
  en: {
    title: 'GeoRisk hazard zoning', 'tab.layers': 'Layers', 'tab.site': 'Site risk', 'tab.upload': 'Upload', 'tab.runs': 'Zoning runs',
    'layers.heading': 'Map layers', 'layers.products': 'Zoning product', 'site.heading': 'What is the risk here?', 'site.hint': 'Click the map, or draw a parcel (click its corners, then Finish).',
    'site.category': 'Building category', 'site.intensity': 'Design intensity', 'site.draw': 'Draw parcel', 'site.finish': 'Finish parcel',
    'upload.heading': 'Geologist: upload a survey layer', 'upload.key': 'API key', 'upload.survey': 'Survey', 'upload.kind': 'Layer kind',
    'upload.layer': 'Layer name (optional)', 'upload.crs': 'CRS (optional, e.g. EPSG:4515)', 'upload.file': 'File (zip, gpkg, geojson, kml, tif)',
    'upload.submit': 'Upload and validate', 'upload.run': 'Zoning run', 'upload.cell': 'Cell size (m)', 'upload.start': 'Start zoning run',
    'upload.versions': 'Versions', 'runs.heading': 'Zoning run history',
    grade: 'Grade', index: 'Index', factors: 'Factor contributions', fault: 'Nearest active fault', distance: 'distance', setback: 'Setback',
    flood: 'Flood scenarios', inside: 'inside', outside: 'outside', survey: 'Answered by', scale: 'scale', caveats: 'Caveats', admin: 'Admin unit',
    hazardPoints: 'Hazard points within 2 km', none: 'none', pass: 'pass', fail: 'fail', 'special-study': 'special study', indeterminate: 'indeterminate: needs a surveyed trace',
    prevention: 'Prevention zoning', exposure: 'Exposed in the parcel', buildings: 'buildings', people: 'people', uncertainty: 'trace located to ±', older: 'an older fault is closer', dangerous: 'Possible dangerous section (危险地段)', folds: 'fold axes left out', areaPerGrade: 'Area per grade',
    worst: 'Worst grade', job: 'Job', report: 'Validation report', read: 'read', accepted: 'accepted', errors: 'errors', warnings: 'warnings',
    needKey: 'Enter a geologist API key first.', model: 'Model', breaks: 'Breaks', auc: 'ROC-AUC (held out)', census: 'Census', download: 'Download CSV',
    created: 'Created', zones: 'Zones', seismic: 'Seismic', intensityLabel: 'intensity', constraints: 'Planning constraints', legend: 'Grade', product: 'Product',
    prevention: 'Prevention zoning', exposure: 'Exposed in the parcel', buildings: 'buildings', people: 'people',
  },
  zh: {
    title: 'GeoRisk 地质灾害风险区划', 'tab.layers': '图层', 'tab.site': '场地风险', 'tab.upload': '上传', 'tab.runs': '区划成果',
    'layers.heading': '地图图层', 'layers.products': '区划产品', 'site.heading': '此处风险如何？', 'site.hint': '点击地图查询，或绘制地块（依次点击拐点后点“完成地块”）。',
    'site.category': '建筑抗震设防类别', 'site.intensity': '设防烈度', 'site.draw': '绘制地块', 'site.finish': '完成地块',
    'upload.heading': '地质人员：上传调查图层', 'upload.key': 'API 密钥', 'upload.survey': '调查项目', 'upload.kind': '图层类型',
    'upload.layer': '图层名称（可选）', 'upload.crs': '坐标系（可选，如 EPSG:4515）', 'upload.file': '文件（zip、gpkg、geojson、kml、tif）',
    'upload.submit': '上传并校验', 'upload.run': '区划计算', 'upload.cell': '格网大小（米）', 'upload.start': '开始区划计算',
    'upload.versions': '版本', 'runs.heading': '区划计算历史',
    grade: '等级', index: '指数', factors: '因子贡献', fault: '最近活动断层', distance: '距离', setback: '避让',
    flood: '洪水情景', inside: '范围内', outside: '范围外', survey: '数据来源', scale: '比例尺', caveats: '说明', admin: '行政区',
    hazardPoints: '2 公里内隐患点', none: '无', pass: '满足', fail: '不满足', 'special-study': '需专门研究', indeterminate: '不能判定，需活动断层探测',
    prevention: '防治分区', exposure: '地块内承灾体', buildings: '房屋', people: '人口', uncertainty: '迹线位置不确定度 ±', older: '更近的为较老断裂', dangerous: '可能为危险地段', folds: '已排除褶皱轴线', areaPerGrade: '各等级面积',
    worst: '最高等级', job: '任务', report: '校验报告', read: '读取', accepted: '接受', errors: '错误', warnings: '警告',
    needKey: '请先输入地质人员 API 密钥。', model: '模型', breaks: '分级断点', auc: 'ROC-AUC（留出样本）', census: '普查统计', download: '下载 CSV',
    created: '时间', zones: '图斑', seismic: '地震', intensityLabel: '烈度', constraints: '规划约束', legend: '等级', product: '区划产品',
    prevention: '防治区划',
  },
};

const LAYER_NAMES = {
  hillshade: ['Hillshade', '山体阴影'], 'index-raster': ['Susceptibility index (raster)', '易发性指数（栅格）'], 'grade-raster': ['Susceptibility grade (raster)', '易发性等级（栅格）'],
  'risk-raster': ['Risk index (raster)', '风险指数（栅格）'],
  'zoning-fill': ['Susceptibility zoning', '易发性区划'], 'zoning-hazard-fill': ['Hazard zoning', '危险性区划'], 'zoning-risk-fill': ['Risk zoning', '风险区划'],
  'zoning-outline': ['Zoning outlines', '区划边界'], 'prevention-fill': ['Prevention zoning', '防治区划'],
  'coverage-outline': ['Survey coverage (1:50000 / 1:10000)', '调查覆盖（1:5万 / 1:1万）'],
};

let lang = localStorage.getItem('georisk.lang') || 'zh';
const t = (key) => (I18N[lang] && I18N[lang][key]) || I18N.en[key] || key;
const $ = (id) => document.getElementById(id);
const esc = (s) => String(s ?? '').replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' }[c]));
let legend = [];
let prevention = [];
// The census products of the current run (susceptibility, hazard, risk) and the one shown.
let products = [];
let product = 'susceptibility';

function applyLanguage() {
  document.documentElement.lang = lang;
  for (const el of document.querySelectorAll('[data-i18n]')) el.textContent = t(el.dataset.i18n);
  $('lang').textContent = lang === 'zh' ? 'English' : '中文';
  renderProducts();
  renderLegend();
  renderLayerList();
}

// Tabs.
for (const button of document.querySelectorAll('#tabs button')) {
  button.addEventListener('click', () => {
    for (const b of document.querySelectorAll('#tabs button')) b.classList.toggle('active', b === button);
    for (const s of document.querySelectorAll('.tab')) s.classList.toggle('active', s.id === `tab-${button.dataset.tab}`);
    if (button.dataset.tab === 'runs') loadRuns();
  });
}

$('lang').addEventListener('click', () => {
  lang = lang === 'zh' ? 'en' : 'zh';
  localStorage.setItem('georisk.lang', lang);
  applyLanguage();
});

// The map. preserveDrawingBuffer lets the page (and its tests) read rendered pixels.
const map = new maplibregl.Map({
  container: 'map',
  // ?layers=all: the hidden layers too (with visibility none), for the layer switcher.
  style: '/styles/georisk.json?layers=all',
  center: [82.0, 44.7],
  zoom: 7,
  attributionControl: { compact: true },
  canvasContextAttributes: { preserveDrawingBuffer: true },
});
map.addControl(new maplibregl.NavigationControl(), 'top-right');
map.addControl(new maplibregl.ScaleControl({ unit: 'metric' }), 'bottom-right');

const ready = new Promise((resolve) => map.once('load', resolve));
window.georisk = { map, ready, setLanguage: (l) => { lang = l; applyLanguage(); } };

map.on('load', () => {
  const meta = map.getStyle().metadata || {};
  legend = meta['georisk:legend'] || [];
  prevention = meta['georisk:prevention'] || [];
  products = meta['georisk:products'] || [];
  addOverlays();
  applyLanguage();
});

function addOverlays() {
  map.addSource('parcel', { type: 'geojson', data: { type: 'FeatureCollection', features: [] } });
  map.addLayer({ id: 'parcel-fill', type: 'fill', source: 'parcel', paint: { 'fill-color': '#000', 'fill-opacity': 0.1 } });
  map.addLayer({ id: 'parcel-line', type: 'line', source: 'parcel', paint: { 'line-color': '#000', 'line-width': 2 } });
  map.addSource('findings', { type: 'geojson', data: { type: 'FeatureCollection', features: [] } });
  map.addLayer({ id: 'findings', type: 'circle', source: 'findings', paint: { 'circle-radius': 6, 'circle-color': ['match', ['get', 'severity'], 'error', '#c00', '#e69500'], 'circle-stroke-color': '#fff', 'circle-stroke-width': 1.5 } });
}

function layerTitle(layer) {
  if (LAYER_NAMES[layer.id]) return LAYER_NAMES[layer.id][lang === 'zh' ? 1 : 0];
  return layer.source || layer.id;
}

function renderLayerList() {
  const list = $('layer-list');
  if (!map.isStyleLoaded() && !map.getStyle()) return;
  list.innerHTML = '';
  for (const layer of map.getStyle().layers) {
    if (layer.id === 'background' || layer.id.startsWith('parcel') || layer.id === 'findings') continue;
    const visible = map.getLayoutProperty(layer.id, 'visibility') !== 'none';
    const li = document.createElement('li');
    li.innerHTML = `<label><input type="checkbox" data-layer="${esc(layer.id)}" ${visible ? 'checked' : ''}> ${esc(layerTitle(layer))}</label>`;
    li.querySelector('input').addEventListener('change', (e) => map.setLayoutProperty(layer.id, 'visibility', e.target.checked ? 'visible' : 'none'));
    list.appendChild(li);
  }
}

// One product at a time: its fill layer shows, the others hide, and the legend names its grades with the census terms.
function showProduct(name) {
  product = name;
  for (const p of products) {
    if (map.getLayer(p.layer)) map.setLayoutProperty(p.layer, 'visibility', p.product === name ? 'visible' : 'none');
  }
  renderProducts();
  renderLegend();
  renderLayerList();
}

function renderProducts() {
  const box = $('products');
  box.innerHTML = products.map((p) => `<label><input type="radio" name="product" value="${esc(p.product)}" data-testid="product-${esc(p.product)}"
    ${p.product === product ? 'checked' : ''}> ${esc(lang === 'zh' ? p.titleZh : p.title)}</label>`).join('');
  for (const input of box.querySelectorAll('input')) input.addEventListener('change', () => showProduct(input.value));
}

function renderLegend() {
  const active = products.find((p) => p.product === product);
  const title = active ? (lang === 'zh' ? active.titleZh : active.title) : t('legend');
  const grades = active
    ? active.legend.slice().reverse().map((g) => `<div><span class="swatch" style="background:${esc(g.colour)}"></span>${esc(lang === 'zh' ? g.termZh : g.term)}</div>`).join('')
    : legend.map((g) => `<div><span class="swatch" style="background:${esc(g.colour)}"></span>${esc(g.grade)} ${esc(lang === 'zh' ? g.labelZh : g.label)}</div>`).join('');
  const prev = prevention.map((p) => `<div><span class="swatch" style="background:${esc(p.colour)}"></span>${esc(lang === 'zh' ? p.labelZh : p.label)}</div>`).join('');
  $('legend').innerHTML = `<strong data-testid="legend-title">${esc(title)}</strong>${grades}<strong>${t('prevention')}</strong>${prev}`;
}

// Site risk: a click asks for the point; in drawing mode clicks add parcel corners.
let drawing = null;
map.on('click', (e) => {
  if (drawing) {
    drawing.push([e.lngLat.lng, e.lngLat.lat]);
    showParcel();
    $('finish').disabled = drawing.length < 3;
    return;
  }
  querySite(e.lngLat.lng, e.lngLat.lat);
});

$('draw').addEventListener('click', () => {
  drawing = [];
  showParcel();
  $('finish').disabled = true;
  map.getCanvas().style.cursor = 'crosshair';
});

$('finish').addEventListener('click', async () => {
  if (!drawing || drawing.length < 3) return;
  const ring = [...drawing, drawing[0]];
  drawing = null;
  map.getCanvas().style.cursor = '';
  $('finish').disabled = true;
  const body = { type: 'Feature', properties: {}, geometry: { type: 'Polygon', coordinates: [ring] } };
  const response = await fetch(`/api/v1/site-risk?${siteParams()}`, { method: 'POST', headers: { 'content-type': 'application/geo+json' }, body: JSON.stringify(body) });
  renderSite(await response.json(), response.ok);
});

function showParcel() {
  const coords = drawing && drawing.length ? [...drawing, drawing[0]] : [];
  const feature = coords.length >= 4 ? { type: 'Feature', properties: {}, geometry: { type: 'Polygon', coordinates: [coords] } }
    : { type: 'Feature', properties: {}, geometry: { type: 'LineString', coordinates: coords.length ? coords : [[0, 0], [0, 0]] } };
  map.getSource('parcel').setData({ type: 'FeatureCollection', features: coords.length ? [feature] : [] });
}

function siteParams() {
  const p = new URLSearchParams({ category: $('category').value });
  if ($('intensity').value) p.set('intensity', $('intensity').value);
  return p.toString();
}

async function querySite(lon, lat) {
  selectTab('site');
  $('site-result').innerHTML = '…';
  const response = await fetch(`/api/v1/site-risk?lon=${lon.toFixed(6)}&lat=${lat.toFixed(6)}&${siteParams()}`);
  renderSite(await response.json(), response.ok);
}

function selectTab(name) {
  document.querySelector(`#tabs button[data-tab="${name}"]`).click();
}

function renderSite(a, ok) {
  const el = $('site-result');
  if (!ok) {
    el.innerHTML = `<p class="error">${esc(a.title || a.detail || 'error')}</p>`;
    return;
  }
  const parts = [];
  parts.push(`<p>${esc(a.query.lon.toFixed(5))}, ${esc(a.query.lat.toFixed(5))}${a.admin ? ` — ${t('admin')}: ${esc(a.admin.name)} (${esc(a.admin.code)})` : ''}</p>`);
  const z = a.zoning;
  if (z) {
    parts.push(`<p data-testid="site-grade" data-grade="${z.grade}">${t('grade')}: <span class="grade-badge" style="background:${esc(z.colour)}">${esc(z.grade)} ${esc(lang === 'zh' ? z.termZh : z.term)}</span>
      ${t('index')}: ${esc(z.index.toFixed(3))}</p>`);
    if (z.products && z.products.length) {
      parts.push(`<table data-testid="site-products"><tr><th>${t('product')}</th><th>${t('grade')}</th></tr>${z.products.map((p) =>
        `<tr data-product="${esc(p.product)}" data-grade="${esc(p.grade)}"><td>${esc(lang === 'zh' ? p.titleZh : p.title)}</td>
        <td><span class="grade-badge" style="background:${esc(p.colour)}">${esc(lang === 'zh' ? p.termZh : p.term)}</span></td></tr>`).join('')}</table>`);
    }
    if (z.prevention) parts.push(`<p data-testid="site-prevention">${t('prevention')}: ${esc(lang === 'zh' ? z.prevention.labelZh : z.prevention.label)}</p>`);
    const max = Math.max(...z.factors.map((f) => Math.abs(f.contribution)), 1e-9);
    parts.push(`<h3>${t('factors')}</h3><div class="bars" data-testid="factor-bars">${z.factors.map((f) => `
      <div class="bar"><span class="label" title="${esc(f.id)}">${esc(lang === 'zh' ? f.titleZh || f.id : f.title || f.id)}</span>
      <span class="fill" style="width:${(100 * Math.abs(f.contribution) / max).toFixed(0)}px"></span><span>${esc(f.contribution.toFixed(3))} (${esc(f.classLabel)})</span></div>`).join('')}</div>`);
    if (z.areaPerGrade) {
      parts.push(`<h3>${t('areaPerGrade')}</h3><table data-testid="area-per-grade"><tr><th>${t('grade')}</th><th>m²</th><th>%</th></tr>${z.areaPerGrade.map((g) =>
        `<tr><td>${esc(g.grade)}</td><td>${esc(Math.round(g.areaM2))}</td><td>${esc((g.share * 100).toFixed(1))}</td></tr>`).join('')}</table>
        <p data-testid="worst-grade" data-grade="${z.worstGrade}">${t('worst')}: ${esc(z.worstGrade)}</p>`);
    }
    if (z.exposurePerGrade) {
      parts.push(`<h3>${t('exposure')}</h3><table data-testid="exposure-per-grade"><tr><th>${t('grade')}</th><th>${t('buildings')}</th><th>${t('people')}</th></tr>${z.exposurePerGrade.map((g) =>
        `<tr><td>${esc(lang === 'zh' ? g.termZh : g.term)}</td><td>${esc(g.buildings)}</td><td>${esc(Math.round(g.people))}</td></tr>`).join('')}</table>`);
    }
  }
  if (a.survey) {
    parts.push(`<p data-testid="site-survey">${t('survey')}: ${esc(a.survey.title)} (${t('scale')} 1:${esc(a.survey.scaleDenominator)})</p>`);
  }
  const faults = a.faults;
  const f = faults.governing;
  const sb = faults.setback;
  const verdict = sb.verdict;
  const zh = lang === 'zh';
  parts.push(`<h3>${t('fault')}</h3>${f ? `<p data-testid="site-fault">${esc(f.name || f.id)} <small>(${esc(f.sense || '')} ${esc(f.activity)}; ${esc(f.source || f.layer)})</small>
    — ${t('distance')} ${esc(Math.round(f.distanceM))} m, ${t('uncertainty')}${esc(Math.round(f.positionalUncertaintyM))} m</p>` : ''}
    ${faults.nearest && f && faults.nearest.id !== f.id ? `<p><small>${t('older')}: ${esc(faults.nearest.name || faults.nearest.id)} ${esc(Math.round(faults.nearest.distanceM))} m</small></p>` : ''}
    <p>${t('setback')} (${esc(sb.categoryZh)}/${esc(sb.category)}, ${esc(zh ? sb.intensity.label : sb.intensity.labelEn)}):
    <span data-testid="setback-verdict" data-verdict="${esc(verdict)}" class="verdict-${esc(verdict)}">${esc(t(verdict))}</span>
    ${sb.requiredM ? `(${esc(sb.requiredM)} m)` : ''}<br><small>${esc(zh ? sb.basisZh : sb.basis)}</small></p>
    ${faults.excludedStructures ? `<p><small>${esc(faults.excludedStructures)} ${t('folds')}</small></p>` : ''}`);
  if (a.dangerousSection.flag !== 'no') {
    parts.push(`<p class="verdict-fail" data-testid="dangerous-section">${t('dangerous')}</p><ul>${a.dangerousSection.reasons.map((r) => `<li>${esc(r)}</li>`).join('')}</ul>`);
  }
  if (a.seismic) parts.push(`<p>${t('seismic')}: PGA ${esc(a.seismic.pgaG)}g, ${t('intensityLabel')} ${esc(a.seismic.intensityLabel ?? '-')}</p>`);
  if (a.flood.length) {
    parts.push(`<h3>${t('flood')}</h3><ul>${a.flood.map((x) => `<li>${esc(x.returnPeriodYr)}-yr: ${x.inside ? `${t('inside')}${x.depthM != null ? `, ${esc(x.depthM)} m (${esc(zh ? x.depthClassZh : x.depthClass)})` : ''}` : t('outside')}</li>`).join('')}</ul>`);
  }
  parts.push(`<h3>${t('hazardPoints')}</h3>${a.nearbyHazardPoints.length ? `<ul>${a.nearbyHazardPoints.map((p) => `<li>${esc(p.type || '')} ${esc(p.id || '')} — ${esc(Math.round(p.distanceM))} m</li>`).join('')}</ul>` : `<p>${t('none')}</p>`}`);
  if (a.constraints.length) parts.push(`<h3>${t('constraints')}</h3><ul>${a.constraints.map((c) => `<li>${esc(c)}</li>`).join('')}</ul>`);
  if (a.caveats.length) parts.push(`<h3>${t('caveats')}</h3><ul class="caveats">${a.caveats.map((c) => `<li>${esc(c)}</li>`).join('')}</ul>`);
  el.innerHTML = parts.join('');
}

// Geologist view.
$('api-key').value = sessionStorage.getItem('georisk.key') || '';
$('api-key').addEventListener('change', () => sessionStorage.setItem('georisk.key', $('api-key').value.trim()));
const key = () => $('api-key').value.trim();

async function loadCatalog() {
  const [surveys, layers] = await Promise.all([fetch('/api/v1/surveys').then((r) => r.json()), fetch('/api/v1/layers').then((r) => r.json())]);
  $('upload-survey').innerHTML = surveys.map((s) => `<option value="${esc(s.id)}">${esc(s.id)} (1:${esc(s.scaleDenominator)})</option>`).join('');
  const kinds = ['hazard-zones', 'hazard-points', 'active-faults', 'flood-zones', 'pga-zoning', 'admin-units', 'rivers', 'lakes', 'dem', 'raster-factor',
    'buildings', 'population', 'roads', 'facilities'];
  $('upload-kind').innerHTML = kinds.map((k) => `<option>${k}</option>`).join('');
  $('versions-layer').innerHTML = layers.map((l) => `<option value="${esc(l.surveyId)}/${esc(l.name)}">${esc(l.id)} (v${esc(l.version)})</option>`).join('');
  loadVersions();
}

$('versions-layer').addEventListener('change', loadVersions);
async function loadVersions() {
  const id = $('versions-layer').value;
  if (!id) return;
  const [survey, name] = id.split('/');
  const versions = await fetch(`/api/v1/surveys/${encodeURIComponent(survey)}/layers/${encodeURIComponent(name)}/versions`).then((r) => r.json());
  $('versions').innerHTML = `<table><tr><th>v</th><th>${t('created')}</th><th>n</th><th>CRS</th></tr>${versions.map((v) =>
    `<tr><td>${esc(v.version)}</td><td>${esc(v.createdAt.slice(0, 16))}</td><td>${esc(v.featureCount)}</td><td>${esc(v.sourceCrs || '')}</td></tr>`).join('')}</table>`;
}

async function pollJob(location, el, onDone) {
  for (;;) {
    const job = await fetch(location, { headers: { 'X-API-Key': key() } }).then((r) => r.json());
    renderJob(job, el);
    if (['succeeded', 'failed', 'cancelled'].includes(job.state)) {
      onDone?.(job);
      return job;
    }
    await new Promise((r) => setTimeout(r, 400));
  }
}

function renderJob(job, el) {
  const findings = job.report?.findings || [];
  el.innerHTML = `<p>${t('job')} ${esc(job.id)}: <strong data-testid="job-state" data-state="${esc(job.state)}">${esc(job.state)}</strong> — ${esc(job.phase)}</p>
    <progress max="1" value="${esc(job.progress)}"></progress>
    ${job.error ? `<p class="error" data-testid="job-error">${esc(job.error.code)}: ${esc(job.error.message)}</p>` : ''}
    ${job.report ? `<h3>${t('report')}</h3><p data-testid="job-report">${t('read')} ${esc(job.report.featuresRead)}, ${t('accepted')} ${esc(job.report.featuresAccepted)},
      ${t('errors')} ${esc(job.report.errorCount)}, ${t('warnings')} ${esc(job.report.warningCount)}; CRS ${esc(job.report.sourceCrs || '?')}</p>
      <ul class="findings">${findings.map((f) => `<li class="${esc(f.severity?.toLowerCase?.() || f.severity)}">${esc(f.code)}${f.featureId != null ? ` [${esc(f.featureId)}]` : ''}: ${esc(f.message)}</li>`).join('')}</ul>` : ''}
    ${job.result ? `<pre>${esc(JSON.stringify(job.result, null, 1).slice(0, 600))}</pre>` : ''}`;
  const located = findings.filter((f) => f.lon != null && f.lat != null);
  map.getSource('findings')?.setData({ type: 'FeatureCollection', features: located.map((f) => ({ type: 'Feature', properties: { severity: String(f.severity).toLowerCase(), code: f.code }, geometry: { type: 'Point', coordinates: [f.lon, f.lat] } })) });
}

$('upload-form').addEventListener('submit', async (e) => {
  e.preventDefault();
  if (!key()) {
    $('job').innerHTML = `<p class="error">${t('needKey')}</p>`;
    return;
  }
  const form = new FormData();
  form.append('file', $('upload-file').files[0]);
  form.append('kind', $('upload-kind').value);
  if ($('upload-layer').value) form.append('layer', $('upload-layer').value);
  if ($('upload-crs').value) form.append('crs', $('upload-crs').value);
  const response = await fetch(`/api/v1/surveys/${encodeURIComponent($('upload-survey').value)}/layers`, { method: 'POST', headers: { 'X-API-Key': key() }, body: form });
  if (response.status !== 202) {
    const problem = await response.json().catch(() => ({}));
    $('job').innerHTML = `<p class="error" data-testid="job-error">${esc(response.status)} ${esc(problem.code || '')}: ${esc(problem.title || '')}</p>`;
    return;
  }
  await pollJob(response.headers.get('location'), $('job'), () => { loadCatalog(); refreshTiles(); });
});

$('run').addEventListener('click', async () => {
  if (!key()) {
    $('run-job').innerHTML = `<p class="error">${t('needKey')}</p>`;
    return;
  }
  const response = await fetch('/api/v1/zoning-runs', { method: 'POST', headers: { 'X-API-Key': key(), 'content-type': 'application/json' }, body: JSON.stringify({ cellSize: Number($('run-cell').value) }) });
  const body = await response.json();
  if (response.status !== 202) {
    $('run-job').innerHTML = `<p class="error" data-testid="job-error">${esc(body.code)}: ${esc(body.title)}</p>`;
    return;
  }
  await pollJob(response.headers.get('location'), $('run-job'), () => { refreshTiles(); loadRuns(); });
});

// A new version changes the TileJSON's tile URLs; reloading the style picks them up.
function refreshTiles() {
  const visibility = Object.fromEntries(map.getStyle().layers.map((l) => [l.id, map.getLayoutProperty(l.id, 'visibility')]));
  map.once('styledata', () => {
    addOverlays();
    for (const [id, v] of Object.entries(visibility)) if (map.getLayer(id) && v) map.setLayoutProperty(id, 'visibility', v);
    renderLayerList();
  });
  map.setStyle(`/styles/georisk.json?layers=all&ts=${Date.now()}`);
}

// Run history.
async function loadRuns() {
  const runs = await fetch('/api/v1/zoning-runs').then((r) => r.json());
  $('runs').innerHTML = `<table><tr><th>#</th><th>${t('model')}</th><th>${t('created')}</th><th>${t('zones')}</th><th>${t('auc')}</th></tr>${runs.map((r) =>
    `<tr data-run="${esc(r.id)}" style="cursor:pointer"><td>${esc(r.id)}</td><td>${esc(r.model)}</td><td>${esc(r.createdAt.slice(0, 16))}</td><td>${esc(r.zoneCount)}</td><td>${esc(r.aucHeldOut ?? '-')}</td></tr>`).join('')}</table>`;
  for (const row of $('runs').querySelectorAll('tr[data-run]')) row.addEventListener('click', () => loadRun(row.dataset.run));
  if (runs.length) loadRun(runs[0].id);
}

async function loadRun(id) {
  const run = await fetch(`/api/v1/zoning-runs/${id}`).then((r) => r.json());
  const r = run.record;
  const counties = [...new Set(r.census.map((c) => c.adminCode))];
  $('run-detail').innerHTML = `<h3>${t('model')}: ${esc(r.modelName)} <small>${esc(r.modelHash.slice(0, 12))}</small></h3>
    <p>${esc(r.grid.width)}×${esc(r.grid.height)} @ ${esc(r.grid.cellSize)} m (${esc(r.grid.crs)}); ${t('breaks')}: ${r.breaks.map((b) => esc(b.toFixed(3))).join(' | ')}; ${t('auc')}: ${esc(r.validation.aucHeldOut ?? '-')}</p>
    <p>${r.inputs.map((i) => `${esc(i.layer)} v${esc(i.version)}`).join(', ')}</p>
    <h3>${t('census')} <a href="/api/v1/zoning-runs/${esc(id)}/census?format=csv" data-testid="census-csv">${t('download')}</a></h3>
    <table data-testid="census-table"><tr><th>${t('admin')}</th>${r.grades.map((g) => `<th>${esc(lang === 'zh' ? g.labelZh : g.label)} km²</th>`).join('')}</tr>
    ${counties.map((code) => {
      const rows = r.census.filter((c) => c.adminCode === code);
      return `<tr><td>${esc(lang === 'zh' ? rows[0].adminName : rows[0].adminNameEn || rows[0].adminName)}</td>${rows.map((c) => `<td>${esc(c.areaKm2.toFixed(1))}</td>`).join('')}</tr>`;
    }).join('')}</table>`;
}

loadCatalog();
applyLanguage();
