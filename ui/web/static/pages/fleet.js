// fleet.js: the mobile camera fleet (a view of the Deployments page,
// #/deployments?view=fleet): every mobile camera on a map and in a table:
// where it stands, since when, the deployment that put it there, that
// deployment's state and next review (due ones marked), the camera's health.
// No footage: positions and states only.
//
// It also exports PlaceMap, the map of points the Deployments page draws
// (a request's area, the fleet, cameras for context): the hotspot map's
// look (lib/hotspot-map.js, its hs- classes) on a projection the page
// owns, so that a click can be turned back into a latitude and longitude.
//
// Data: GET /api/v1/fleet.
// Hooks for tests: #dp-fleet-status, svg#dp-fleet-map circle.dp-pt[data-id]
// [data-lat][data-lon], table#dp-fleet tbody tr[data-camera][data-deployment]
// [data-state][data-due][data-status] with .dp-fleet-where, .dp-fleet-since,
// a.dp-fleet-dep, .dp-fleet-review, .dp-fleet-health.
import { api, errorText, h, loadCSS } from '../api.js';
import { icon } from '../icons.js';
import { s } from '../lib/svg.js';
import { W, H, projection, graticule } from '../lib/hotspot-map.js';
import { londonDate, londonDateTime } from '../lib/time.js';


export const STATES = {
  requested: 'Requested', approved: 'Approved', refused: 'Refused', scheduled: 'Scheduled', live: 'Live',
  under_review: 'Under review', removal_scheduled: 'Removal scheduled', removed: 'Removed', cancelled: 'Cancelled',
};

// PROBLEMS are the anti-social behaviour categories (store.ASBProblems).
export const PROBLEMS = [['drugs', 'Drugs'], ['street-drinking', 'Street drinking'], ['nuisance-vehicles', 'Nuisance vehicles'],
  ['fly-tipping', 'Fly-tipping'], ['criminal-damage', 'Criminal damage'], ['intimidation', 'Intimidation'], ['noise', 'Noise'], ['other', 'Other']];

/** problemName is a problem category's name. */
export function problemName(p) { return (PROBLEMS.find(([k]) => k === p) || [p, p || '—'])[1]; }

/** stateBadge is a deployment state as a coloured badge. */
export function stateBadge(state) {
  return h('span', { class: `badge dp-state dp-state-${state}`, data: { state } }, STATES[state] || state || '—');
}

/** healthBadge is a camera's status (online, offline, ...) as a badge. */
export function healthBadge(status) {
  return h('span', { class: `badge badge-${status || 'disabled'}`, data: { status: status || '' } }, status || 'unknown');
}

const finite = (v) => v !== null && v !== undefined && v !== '' && Number.isFinite(Number(v));

/**
 * PlaceMap draws points by latitude and longitude: context (cameras, small
 * and grey), points (deployments or mobile cameras, coloured by their
 * state, with a label) and, when picking, the picked point (a pin).
 *
 *   const m = new PlaceMap(box, { id, label, onPick(point), onPoint({lat, lon}) });
 *   m.draw({ context: [{id, name, lat, lon}], points: [{id, lat, lon, label, title, cls}], pick: {lat, lon} | null });
 *   m.select(id);
 *
 * onPoint makes the map a picker: a click anywhere sets the point.
 */
export class PlaceMap {
  constructor(root, { id, label = 'Map', onPick, onPoint } = {}) {
    this.root = root;
    this.onPick = onPick || (() => {});
    this.onPoint = onPoint || null;
    this.selected = '';
    this.p = null;
    this.last = { context: [], points: [], pick: null };
    this.svg = s('svg', { class: 'hs-map dp-map' + (onPoint ? ' dp-map-pick' : ''), id, viewBox: `0 0 ${W} ${H}`, role: onPoint ? 'application' : 'img', 'aria-label': label });
    this.note = h('p', { class: 'muted hs-map-note', id: id ? id + '-note' : undefined });
    root.classList.add('hs-map-wrap');
    root.replaceChildren(this.svg, this.note);
    if (onPoint) this.svg.addEventListener('click', (ev) => this.click(ev));
  }

  // click turns a click on the map (not on a point) into a latitude and longitude.
  click(ev) {
    if (!this.p || (ev.target.closest && ev.target.closest('.dp-pt'))) return;
    const ctm = this.svg.getScreenCTM();
    if (!ctm) return;
    const pt = this.svg.createSVGPoint();
    pt.x = ev.clientX;
    pt.y = ev.clientY;
    const q = pt.matrixTransform(ctm.inverse());
    const round = (v) => Math.round(v * 1e5) / 1e5;
    this.onPoint({ lat: round(this.p.latAt(q.y)), lon: round(this.p.lonAt(q.x)) });
  }

  draw({ context = [], points = [], pick = null, extent = [] } = {}, empty = 'Nothing to show on the map.') {
    this.last = { context, points, pick, extent };
    const ctx = context.filter((c) => finite(c.lat) && finite(c.lon));
    const pts = points.filter((c) => finite(c.lat) && finite(c.lon));
    const picked = pick && finite(pick.lat) && finite(pick.lon) ? pick : null;
    // The view is fitted to the cameras and points; the picked point joins
    // it only when it falls outside (so clicking does not move the map).
    let base = ctx.concat(pts);
    if (!base.length) base = extent.filter((c) => finite(c.lat) && finite(c.lon)); // the borough, to click in
    if (picked) {
      const p0 = base.length ? projection(base) : null;
      if (!p0 || picked.lat < p0.latAt(H) || picked.lat > p0.latAt(0) || picked.lon < p0.lonAt(0) || picked.lon > p0.lonAt(W)) base = base.concat([picked]);
    }
    this.svg.replaceChildren(s('rect', { class: 'hs-bg', x: 0, y: 0, width: W, height: H }));
    const missing = points.filter((c) => !(finite(c.lat) && finite(c.lon)));
    this.note.textContent = missing.length ? `Not on the map (no place yet): ${missing.map((c) => c.label || c.id).join(', ')}.` : '';
    if (!base.length) {
      this.p = null;
      this.svg.append(s('text', { x: W / 2, y: H / 2, 'text-anchor': 'middle', class: 'hs-empty' }, empty));
      return;
    }
    const p = projection(base);
    this.p = p;
    this.svg.append(graticule(p));
    const g = s('g', { class: 'dp-context' });
    for (const c of ctx) {
      g.append(s('circle', { class: 'dp-ctx', cx: p.x(c.lon).toFixed(1), cy: p.y(c.lat).toFixed(1), r: 6, data: { camera: c.id } },
        s('title', {}, `${c.name || c.id}${c.ward ? ' (' + c.ward + ')' : ''}`)));
    }
    this.svg.append(g);
    const dots = s('g', { class: 'dp-points' });
    for (const c of pts) {
      const x = p.x(c.lon), y = p.y(c.lat);
      const dot = s('circle', {
        class: `dp-pt ${c.cls || ''}`.trim(), cx: x.toFixed(1), cy: y.toFixed(1), r: 13, tabindex: '0', role: 'button',
        'aria-label': c.title || c.label || c.id, data: { id: String(c.id), lat: String(c.lat), lon: String(c.lon) },
      }, s('title', {}, c.title || c.label || c.id));
      dot.addEventListener('click', () => this.pick(c));
      dot.addEventListener('keydown', (ev) => { if (ev.key === 'Enter' || ev.key === ' ') { ev.preventDefault(); this.pick(c); } });
      dots.append(dot);
      if (c.label) dots.append(s('text', { x: (x + 17).toFixed(1), y: (y + 6).toFixed(1), class: 'dp-pt-label' }, c.label));
    }
    this.svg.append(dots);
    if (picked) {
      const x = p.x(picked.lon), y = p.y(picked.lat);
      this.svg.append(s('g', { class: 'dp-pin', id: this.svg.id ? this.svg.id + '-pin' : undefined, data: { lat: String(picked.lat), lon: String(picked.lon) } },
        s('line', { x1: x - 18, y1: y, x2: x + 18, y2: y }), s('line', { x1: x, y1: y - 18, x2: x, y2: y + 18 }),
        s('circle', { cx: x.toFixed(1), cy: y.toFixed(1), r: 8 }),
        s('title', {}, `The area: ${picked.lat}, ${picked.lon}`)));
    }
    this.mark();
  }

  pick(c) {
    this.select(c.id);
    this.onPick(c);
  }

  select(id) {
    this.selected = id === undefined || id === null ? '' : String(id);
    this.mark();
  }

  mark() {
    for (const d of this.svg.querySelectorAll('.dp-pt')) d.classList.toggle('selected', d.dataset.id === this.selected);
  }
}

/**
 * camerasForMap lists the cameras with a place, as PlaceMap's context
 * ({id, name, ward, kind, lat, lon}); wards of cameras without one too.
 */
export async function camerasForMap(get) {
  const res = await get('/api/v1/cameras');
  return ((res && res.cameras) || []).filter((c) => c.latitude !== null && c.longitude !== null && c.latitude !== undefined)
    .map((c) => ({ id: c.id, name: c.name, ward: c.ward, kind: c.kind, lat: Number(c.latitude), lon: Number(c.longitude) }));
}

/** mountFleet draws the fleet view into root; it returns its unmount. */
export function mountFleet(root, ctx) {
  loadCSS('/static/pages/hotspots.css');
  const abort = new AbortController();
  let alive = true;
  let fleet = [];
  let context = []; // the fixed cameras, grey, for orientation
  const status = h('p', { class: 'muted', id: 'dp-fleet-status', role: 'status' });
  const mapBox = h('div', {});
  const tableBox = h('div', { class: 'dp-table-wrap' });
  const map = new PlaceMap(mapBox, { id: 'dp-fleet-map', label: 'Map of the mobile cameras', onPick: (c) => highlight(c.id) });
  root.append(
    h('div', { class: 'toolbar' }, status, h('span', { class: 'spacer' }),
      h('button', { class: 'btn', type: 'button', id: 'dp-fleet-refresh', onclick: () => load() }, icon('refresh'), 'Refresh')),
    h('div', { class: 'dp-fleet-grid' },
      h('section', { class: 'panel', 'aria-label': 'Map' }, h('h2', {}, 'Where the mobile cameras are'), mapBox,
        h('p', { class: 'muted dp-legend' }, h('span', { class: 'dp-key dp-key-ctx' }), 'fixed camera ', h('span', { class: 'dp-key dp-key-live' }), 'live ', h('span', { class: 'dp-key dp-key-due' }), 'review due ',
          h('span', { class: 'dp-key dp-key-other' }), 'other states ', h('span', { class: 'dp-key dp-key-free' }), 'not deployed')),
      h('section', { class: 'panel', 'aria-label': 'Fleet' }, h('h2', {}, 'Mobile cameras'), tableBox)));

  function highlight(camera) {
    map.select(camera);
    for (const tr of tableBox.querySelectorAll('tr[data-camera]')) tr.classList.toggle('dp-selected', tr.dataset.camera === camera);
  }

  async function load() {
    status.className = 'muted';
    status.textContent = 'Loading…';
    try {
      const get = (path) => api('GET', path, null, { signal: abort.signal });
      const [res, cams] = await Promise.all([get('/api/v1/fleet'), ctx.can('cameras.read') ? camerasForMap(get).catch(() => []) : []]);
      if (!alive) return;
      fleet = (res && res.fleet) || [];
      context = cams.filter((c) => c.kind !== 'mobile');
      draw();
      const placed = fleet.filter((c) => c.location).length;
      const due = fleet.filter((c) => c.review_due).length;
      status.textContent = fleet.length
        ? `${fleet.length} mobile ${fleet.length === 1 ? 'camera' : 'cameras'}, ${placed} placed${due ? `; ${due} with a review due` : ''}.`
        : 'There are no mobile cameras. An engineer registers them in Admin → Cameras (kind mobile).';
    } catch (e) {
      if (!alive || e.name === 'AbortError') return;
      status.className = 'form-error';
      status.textContent = 'Cannot load the fleet: ' + errorText(e);
    }
  }

  function draw() {
    map.draw({
      context,
      points: fleet.map((c) => ({
        id: c.camera, lat: c.location ? c.location.latitude : NaN, lon: c.location ? c.location.longitude : NaN, label: c.camera,
        title: `${c.name || c.camera}: ${c.location ? c.location.address || c.location.name : 'no place'}, ${c.deployment ? STATES[c.deployment_state] || c.deployment_state : 'not deployed'}, ${c.status}`,
        cls: !c.deployment ? 'dp-pt-free' : c.review_due ? 'dp-pt-due' : c.deployment_state === 'live' ? 'dp-pt-live' : 'dp-pt-other',
      })),
    }, 'No mobile camera has a place yet.');
    const rows = fleet.map((c) => {
      const l = c.location;
      const tr = h('tr', {
        class: c.review_due ? 'dp-due' : '', tabindex: '0',
        data: { camera: c.camera, deployment: c.deployment ? String(c.deployment) : '', state: c.deployment_state || '', due: String(!!c.review_due), status: c.status || '' },
      },
      h('td', {}, h('strong', {}, c.name || c.camera), h('br'), h('span', { class: 'muted mono' }, c.camera), c.enabled ? '' : h('span', { class: 'muted' }, ' (disabled)')),
      h('td', { class: 'dp-fleet-where' }, l ? [l.address || l.name || '—', h('br'), h('span', { class: 'muted' }, [l.ward, l.site].filter(Boolean).join(' · ')),
        h('span', { class: 'muted mono' }, ` ${Number(l.latitude).toFixed(5)}, ${Number(l.longitude).toFixed(5)}`)] : h('span', { class: 'muted' }, 'in the depot (no place)')),
      h('td', { class: 'dp-fleet-since' }, l ? h('time', { datetime: l.from, title: londonDateTime(l.from) }, londonDate(l.from)) : '—'),
      h('td', {}, c.deployment ? h('a', { class: 'dp-fleet-dep', href: `#/deployments?id=${c.deployment}` }, `#${c.deployment}`) : h('span', { class: 'muted' }, 'none')),
      h('td', {}, c.deployment_state ? stateBadge(c.deployment_state) : ''),
      h('td', { class: 'dp-fleet-review' }, c.review_date ? londonDate(c.review_date) : '—', c.review_due ? [' ', h('span', { class: 'badge badge-warn' }, 'due')] : ''),
      h('td', { class: 'dp-fleet-health' }, healthBadge(c.status)));
      tr.addEventListener('click', (ev) => { if (!ev.target.closest('a')) highlight(c.camera); });
      tr.addEventListener('keydown', (ev) => { if (ev.key === 'Enter') highlight(c.camera); });
      return tr;
    });
    if (!rows.length) rows.push(h('tr', {}, h('td', { colspan: '7', class: 'muted' }, 'No mobile cameras.')));
    tableBox.replaceChildren(h('table', { class: 'data dp-fleet', id: 'dp-fleet' },
      h('thead', {}, h('tr', {}, ['Camera', 'Where', 'Since', 'Deployment', 'State', 'Next review', 'Health'].map((t) => h('th', {}, t)))),
      h('tbody', {}, rows)));
    if (map.selected) highlight(map.selected);
  }

  load();
  return () => {
    alive = false;
    abort.abort();
  };
}
