// hotspot-map.js: cameras drawn where they stand (latitude, longitude) on
// a plain SVG map: a graticule, each ward as a soft outline around its
// cameras with its name, and one circle per camera sized and coloured by
// its score (activity and vehicle rule hits). No map tiles: nothing is
// fetched from anywhere.
//
//   const map = new HotspotMap(container, { onPick(camera) });
//   map.draw(cameras, max);  // cameras: [{id, name, ward, site, lat, lon, score, rule_hits}]
//   map.select(id);
//
// Hooks for tests: svg.hs-map, circle.hs-cam[data-camera][data-score][data-hits],
// .hs-ward[data-ward], .hs-tip (the hover card).
import { h } from '../api.js';
import { s } from './svg.js';
import { heatColour, scoreText } from './heat.js';
import { hitsText } from './heat-table.js';

// The map's view box (shared with pages/fleet.js's PlaceMap).
export const W = 1000;
export const H = 620;
const PAD = 60;
const STEPS = [0.0002, 0.0005, 0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1, 2, 5];

const placed = (c) => Number.isFinite(c.lat) && Number.isFinite(c.lon);

// hull is the convex hull of points [[x, y], ...] (monotone chain).
function hull(pts) {
  const p = pts.slice().sort((a, b) => a[0] - b[0] || a[1] - b[1]);
  if (p.length < 3) return p;
  const cross = (o, a, b) => (a[0] - o[0]) * (b[1] - o[1]) - (a[1] - o[1]) * (b[0] - o[0]);
  const lower = [];
  for (const q of p) {
    while (lower.length >= 2 && cross(lower[lower.length - 2], lower[lower.length - 1], q) <= 0) lower.pop();
    lower.push(q);
  }
  const upper = [];
  for (const q of p.slice().reverse()) {
    while (upper.length >= 2 && cross(upper[upper.length - 2], upper[upper.length - 1], q) <= 0) upper.pop();
    upper.push(q);
  }
  return lower.slice(0, -1).concat(upper.slice(0, -1));
}

// projection fits points {lat, lon} into the view: an equirectangular
// projection with longitude shrunk by cos(latitude), uniform scale,
// centred; latAt and lonAt map view pixels back (a click on the map).
export function projection(cams) {
  let lat0 = Infinity, lat1 = -Infinity, lon0 = Infinity, lon1 = -Infinity;
  for (const c of cams) {
    lat0 = Math.min(lat0, c.lat); lat1 = Math.max(lat1, c.lat);
    lon0 = Math.min(lon0, c.lon); lon1 = Math.max(lon1, c.lon);
  }
  const minSpan = 0.004; // about 400 m: a lone camera still gets a neighbourhood
  if (lat1 - lat0 < minSpan) { const m = (lat0 + lat1) / 2; lat0 = m - minSpan / 2; lat1 = m + minSpan / 2; }
  if (lon1 - lon0 < minSpan) { const m = (lon0 + lon1) / 2; lon0 = m - minSpan / 2; lon1 = m + minSpan / 2; }
  const k = Math.cos(((lat0 + lat1) / 2) * Math.PI / 180) || 1;
  const spanX = (lon1 - lon0) * k;
  const spanY = lat1 - lat0;
  const scale = Math.min((W - 2 * PAD) / spanX, (H - 2 * PAD) / spanY);
  const cx = (lon0 + lon1) / 2, cy = (lat0 + lat1) / 2;
  const x = (lon) => W / 2 + (lon - cx) * k * scale;
  const y = (lat) => H / 2 - (lat - cy) * scale;
  const lonAt = (px) => cx + (px - W / 2) / (k * scale);
  const latAt = (py) => cy - (py - H / 2) / scale;
  return { x, y, lonAt, latAt, scale };
}

// graticule draws the lines and labels of latitude and longitude.
export function graticule(p) {
  const g = s('g', { class: 'hs-grid' });
  const lonMin = p.lonAt(0), lonMax = p.lonAt(W), latMax = p.latAt(0), latMin = p.latAt(H);
  const step = (span) => STEPS.find((st) => span / st <= 8) || STEPS[STEPS.length - 1];
  const sl = step(lonMax - lonMin), sa = step(latMax - latMin);
  const digits = (st) => Math.max(0, Math.ceil(-Math.log10(st)));
  for (let v = Math.ceil(lonMin / sl) * sl; v <= lonMax; v += sl) {
    const x = p.x(v);
    g.append(s('line', { x1: x, y1: 0, x2: x, y2: H }), s('text', { x: x + 3, y: H - 6, class: 'hs-grid-label' }, v.toFixed(digits(sl)) + '°'));
  }
  for (let v = Math.ceil(latMin / sa) * sa; v <= latMax; v += sa) {
    const y = p.y(v);
    g.append(s('line', { x1: 0, y1: y, x2: W, y2: y }), s('text', { x: 4, y: y - 3, class: 'hs-grid-label' }, v.toFixed(digits(sa)) + '°'));
  }
  return g;
}

// wardShapes outlines each ward: the hull of its cameras, each widened
// into a ring of points so one or two cameras still make an area.
function wardShapes(cams, p) {
  const byWard = new Map();
  for (const c of cams) {
    const w = c.ward || '';
    if (!byWard.has(w)) byWard.set(w, []);
    byWard.get(w).push([p.x(c.lon), p.y(c.lat)]);
  }
  const g = s('g', { class: 'hs-wards' });
  const r = 34;
  for (const [ward, pts] of [...byWard.entries()].sort()) {
    if (!ward) continue;
    const ring = [];
    for (const [x, y] of pts) for (let i = 0; i < 12; i++) ring.push([x + r * Math.cos(i * Math.PI / 6), y + r * Math.sin(i * Math.PI / 6)]);
    const outline = hull(ring);
    const top = Math.min(...outline.map((q) => q[1]));
    const mid = pts.reduce((a, q) => a + q[0], 0) / pts.length;
    g.append(s('g', { class: 'hs-ward', data: { ward } },
      s('polygon', { points: outline.map((q) => q.map((v) => v.toFixed(1)).join(',')).join(' ') }),
      s('text', { x: mid, y: Math.max(14, top - 6), 'text-anchor': 'middle', class: 'hs-ward-label' }, ward)));
  }
  return g;
}

export class HotspotMap {
  constructor(root, { onPick } = {}) {
    this.root = root;
    this.onPick = onPick || (() => {});
    this.selected = '';
    this.svg = s('svg', { class: 'hs-map', id: 'hs-map', viewBox: `0 0 ${W} ${H}`, role: 'img', 'aria-label': 'Map of cameras by activity' });
    this.tip = h('div', { class: 'hs-tip', id: 'hs-tip', role: 'status', hidden: true });
    this.note = h('p', { class: 'muted hs-map-note', id: 'hs-map-note' });
    root.classList.add('hs-map-wrap');
    root.replaceChildren(this.svg, this.tip, this.note);
  }

  // empty is the sentence shown when there are no cameras at all.
  draw(cameras, max, empty = 'No cameras in your scope.') {
    const cams = (cameras || []).filter(placed);
    const unplaced = (cameras || []).filter((c) => !placed(c));
    this.svg.replaceChildren(s('rect', { class: 'hs-bg', x: 0, y: 0, width: W, height: H }));
    this.note.textContent = unplaced.length
      ? `Not on the map (no latitude/longitude): ${unplaced.map((c) => c.name || c.id).join(', ')}.`
      : '';
    if (!cams.length) {
      this.svg.append(s('text', { x: W / 2, y: H / 2, 'text-anchor': 'middle', class: 'hs-empty' },
        (cameras || []).length ? 'No camera has a position: set latitude and longitude in Admin → Cameras.' : empty));
      return;
    }
    const p = projection(cams);
    this.svg.append(graticule(p), wardShapes(cams, p));
    const dots = s('g', { class: 'hs-cams' });
    // Quiet cameras first so the busy ones are drawn on top.
    for (const c of cams.slice().sort((a, b) => (a.score || 0) - (b.score || 0))) {
      const score = Number(c.score) || 0;
      const hits = Number(c.rule_hits) || 0;
      const r = 11 + 20 * Math.sqrt(Math.min(1, Math.max(0, score / (max || 1))));
      const dot = s('circle', {
        class: 'hs-cam', cx: p.x(c.lon).toFixed(1), cy: p.y(c.lat).toFixed(1), r: r.toFixed(1),
        fill: heatColour(score, max), tabindex: '0', role: 'button',
        'aria-label': `${c.name || c.id}: score ${scoreText(score)}, ${hitsText(hits)}`,
        data: { camera: c.id, score: String(score), hits: String(hits) },
      }, s('title', {}, `${c.name || c.id} (${c.ward || 'no ward'}) — score ${scoreText(score)}, ${hitsText(hits)}`));
      dot.addEventListener('pointerenter', (ev) => this.showTip(c, ev));
      dot.addEventListener('pointermove', (ev) => this.showTip(c, ev));
      dot.addEventListener('pointerleave', () => { this.tip.hidden = true; });
      dot.addEventListener('focus', () => this.showTip(c, null, dot));
      dot.addEventListener('blur', () => { this.tip.hidden = true; });
      dot.addEventListener('click', () => this.pick(c));
      dot.addEventListener('keydown', (ev) => { if (ev.key === 'Enter' || ev.key === ' ') { ev.preventDefault(); this.pick(c); } });
      dots.append(dot);
    }
    this.svg.append(dots);
    this.mark();
  }

  pick(c) {
    this.select(c.id);
    this.onPick(c);
  }

  select(id) {
    this.selected = id || '';
    this.mark();
  }

  mark() {
    for (const d of this.svg.querySelectorAll('.hs-cam')) d.classList.toggle('selected', d.dataset.camera === this.selected);
  }

  showTip(c, ev, target) {
    const box = this.root.getBoundingClientRect();
    let x, y;
    if (ev) { x = ev.clientX - box.left; y = ev.clientY - box.top; } else {
      const r = target.getBoundingClientRect();
      x = r.left + r.width / 2 - box.left; y = r.top - box.top;
    }
    this.tip.replaceChildren(h('strong', {}, c.name || c.id), ' ', h('span', { class: 'muted mono' }, c.id), h('br'),
      [c.ward, c.site].filter(Boolean).join(' · ') || 'no ward', h('br'), `score ${scoreText(c.score)}`, h('br'),
      h('span', { class: Number(c.rule_hits) > 0 ? 'hs-tip-hits' : 'muted' }, hitsText(c.rule_hits)));
    this.tip.hidden = false;
    this.tip.style.left = Math.min(box.width - 180, Math.max(0, x + 12)) + 'px';
    this.tip.style.top = Math.max(0, y - 10) + 'px';
  }
}
