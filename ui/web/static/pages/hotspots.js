// Hotspots: where and when the cameras see unusual activity, for BJAG
// (deciding where mobile cameras go), supervisors and engineers. No
// footage: scores from the analytics activity counts and the alerts of the
// nuisance-vehicle (ANPR behaviour) rules only.
//
// Route: #/hotspots?from=2026-11-17&to=2026-11-23&by=camera (London dates,
// both days included). Data: GET /api/v1/hotspots?from&to&by.
// Parts: a map of the cameras (lib/hotspot-map.js), the hour-of-week heat
// table (lib/heat-table.js) and the ranked rows.
//
// Who may read the activity alert rules (operators and supervisors) also
// gets a second view, #/hotspots?view=rules (pages/rules.js): the rules
// judge activity against the same baseline the scores use.
//
// Hooks for tests: #hs-from, #hs-to, #hs-by, #hs-refresh, #hs-status,
// table#hs-rows tbody tr[data-key], td.hs-hits[data-hits] (vehicle rule
// hits), #hs-help (how the score is made), #hs-camera (the picked camera's card),
// #hs-tab-activity and #hs-tab-rules [aria-selected], #hs-activity, #hs-rules.
import { api, errorText, h, loadCSS } from '../api.js';
import { icon } from '../icons.js';
import { londonISODate, parseLondonInput, londonDayBounds, londonDateTime, rfc3339 } from '../lib/time.js';
import { HotspotMap } from '../lib/hotspot-map.js';
import { heatTable, legend, hitsText } from '../lib/heat-table.js';
import { heatColour, scaleOf, pct, scoreText } from '../lib/heat.js';
import { mountRules } from './rules.js';

const BY = [['camera', 'Camera'], ['ward', 'Ward'], ['hour', 'Hour of day']];
const DEFAULT_DAYS = 7;

export function mount(root, ctx) {
  loadCSS('/static/pages/hotspots.css');
  let alive = true;
  let inflight = null;
  let data = null;

  const today = londonISODate(new Date());
  const weekAgo = londonISODate(new Date(Date.now() - (DEFAULT_DAYS - 1) * 86400e3));
  const p = ctx.params;
  const fromIn = h('input', { type: 'date', id: 'hs-from', value: p.get('from') || weekAgo, max: today, 'aria-label': 'From (London date)' });
  const toIn = h('input', { type: 'date', id: 'hs-to', value: p.get('to') || today, max: today, 'aria-label': 'To (London date, included)' });
  const bySel = h('select', { id: 'hs-by', 'aria-label': 'Group by' }, BY.map(([v, t]) => h('option', { value: v }, t)));
  bySel.value = BY.some(([v]) => v === p.get('by')) ? p.get('by') : 'camera';
  const status = h('p', { class: 'muted', id: 'hs-status', role: 'status' });
  const mapBox = h('div', { id: 'hs-map-box' });
  const camCard = h('div', { class: 'hs-camera', id: 'hs-camera', hidden: true });
  const heatBox = h('div', { class: 'hs-heat-wrap', id: 'hs-heat-box' });
  const legendBox = h('span', {});
  const rowsBox = h('div', { id: 'hs-rows-box' });

  const map = new HotspotMap(mapBox, { onPick: showCamera });

  // Views: activity (everyone here) and, for who may read them, the alert rules.
  const withRules = ctx.can('alerts.rules') || ctx.can('alerts.ack');
  let view = withRules && p.get('view') === 'rules' ? 'rules' : 'activity';
  let loaded = false; // the activity view has asked for its data
  let unmountRules = null;
  const controls = h('span', { class: 'hs-controls', id: 'hs-controls' },
    h('label', { class: 'field field-inline' }, h('span', {}, 'From'), fromIn),
    h('label', { class: 'field field-inline' }, h('span', {}, 'To'), toIn),
    h('label', { class: 'field field-inline' }, h('span', {}, 'By'), bySel),
    h('button', { class: 'btn', type: 'button', id: 'hs-refresh', onclick: () => load() }, icon('refresh'), 'Refresh'));
  const tab = (key, title) => h('button', { class: 'btn', type: 'button', role: 'tab', id: 'hs-tab-' + key, 'aria-controls': 'hs-' + key, onclick: () => showView(key) }, title);
  const tabs = withRules ? h('div', { class: 'hs-tabs', role: 'tablist', 'aria-label': 'Views' }, tab('activity', 'Activity'), tab('rules', 'Alert rules')) : null;
  const activity = h('div', { id: 'hs-activity', role: withRules ? 'tabpanel' : null },
    status,
    h('div', { class: 'hs-top' },
      h('section', { class: 'panel hs-map-panel', 'aria-label': 'Map' }, h('div', { class: 'toolbar' }, h('h2', {}, 'Map'), h('span', { class: 'spacer' }), legendBox), mapBox, camCard),
      h('section', { class: 'panel hs-heat-panel', 'aria-label': 'Hour of week' }, h('h2', {}, 'Hour of week (London)'), heatBox)),
    h('section', { class: 'panel', 'aria-label': 'Ranked' }, h('h2', {}, 'Ranked'),
      h('p', { class: 'muted hs-help', id: 'hs-help' },
        'Score: the share of analysed frames with motion against the same hours of the week over the past four weeks ' +
        '(1 is usual, 3 is three times usual), plus 1 for each vehicle rule hit: an ANPR alert for repeat passes (cruising), ' +
        'dwell or a gathering (car meet) there in the period. Watch-list sightings are about a vehicle, not a place, and do not count.'),
      rowsBox));
  const rulesBox = h('div', { id: 'hs-rules', role: 'tabpanel', hidden: true });

  root.append(h('div', { class: 'toolbar' }, h('h1', {}, 'Hotspots'), tabs, h('span', { class: 'spacer' }), controls), activity);
  if (withRules) root.append(rulesBox); // (append would write a null out as text)

  function showView(v) {
    view = v;
    if (tabs) {
      for (const b of tabs.children) {
        const on = b.id === 'hs-tab-' + v;
        b.setAttribute('aria-selected', String(on));
        b.setAttribute('aria-pressed', String(on));
      }
    }
    controls.hidden = activity.hidden = v !== 'activity';
    rulesBox.hidden = v !== 'rules';
    if (v === 'rules' && !unmountRules) unmountRules = mountRules(rulesBox, ctx);
    if (v === 'activity' && !loaded) load();
    else remember();
  }

  // range turns the two London dates into [from, to) instants.
  function range() {
    const f = parseLondonInput(fromIn.value + 'T00:00:00');
    const t0 = parseLondonInput(toIn.value + 'T00:00:00');
    if (!f || !t0) return null;
    const to = londonDayBounds(t0)[1];
    return to > f ? [f, to] : null;
  }

  function remember() {
    const q = new URLSearchParams({ from: fromIn.value, to: toIn.value, by: bySel.value });
    if (view === 'rules') q.set('view', 'rules');
    history.replaceState(null, '', '#/hotspots?' + q);
  }

  async function load() {
    const r = range();
    loaded = true;
    if (!r) { status.textContent = 'Choose a From date on or before the To date.'; status.className = 'form-error'; return; }
    remember();
    if (inflight) inflight.abort();
    const ac = new AbortController();
    inflight = ac;
    status.className = 'muted';
    status.textContent = 'Loading…';
    const q = new URLSearchParams({ from: rfc3339(r[0]), to: rfc3339(r[1]), by: bySel.value });
    try {
      const res = await api('GET', '/api/v1/hotspots?' + q, null, { signal: ac.signal });
      if (!alive || inflight !== ac) return;
      data = res || {};
      draw();
      const rows = data.rows || [];
      const active = rows.filter((x) => Number(x.frames) > 0).length;
      const unit = { camera: 'cameras', ward: 'wards', hour: 'hours' }[bySel.value];
      const hits = (data.cameras || []).reduce((n, c) => n + (Number(c.rule_hits) || 0), 0);
      status.textContent = `${londonDateTime(data.from || r[0])} to ${londonDateTime(data.to || r[1])}: ` +
        (active ? `${active} of ${rows.length} ${unit} with analysed activity` : 'no activity recorded in this period') +
        (hits ? `; ${hitsText(hits)}.` : '.');
    } catch (e) {
      if (!alive || e.name === 'AbortError') return;
      status.className = 'form-error';
      status.textContent = e.status === 404 ? 'Hotspots are not available on this server.' : 'Cannot load hotspots: ' + errorText(e);
      data = { rows: [], heat: [], cameras: [], failed: true };
      draw();
    } finally {
      if (inflight === ac) inflight = null;
    }
  }

  function draw() {
    const cams = (data.cameras || []).map((c) => ({ ...c, lat: num(c.lat), lon: num(c.lon) }));
    const max = scaleOf(cams.map((c) => Number(c.score)));
    map.draw(cams, max, data.failed ? 'No data.' : undefined);
    legendBox.replaceChildren(legend(cams.some((c) => Number(c.score) > 0) ? max : null));
    heatBox.replaceChildren(heatTable(data.heat || []));
    drawRows();
    if (map.selected) {
      const c = cams.find((x) => x.id === map.selected);
      if (c) showCamera(c); else camCard.hidden = true;
    }
  }

  function drawRows() {
    const rows = (data.rows || []).slice().sort((a, b) => (Number(b.score) || 0) - (Number(a.score) || 0));
    const max = scaleOf(rows.map((r) => Number(r.score)));
    const byCamera = bySel.value === 'camera';
    const body = rows.map((r, i) => {
      const bar = h('span', { class: 'hs-bar' });
      bar.style.width = Math.max(2, 100 * (Number(r.score) || 0) / max) + '%';
      bar.style.background = heatColour(r.score, max);
      const tr = h('tr', { data: { key: String(r.key) }, tabindex: byCamera ? '0' : null },
        h('td', { class: 'num' }, String(i + 1)),
        h('td', {}, h('strong', {}, r.label || r.key), byCamera ? h('span', { class: 'muted mono' }, ' ' + r.key) : ''),
        h('td', {}, byCamera ? '' : (r.cameras || []).join(', ')),
        h('td', { class: 'num' }, pct(r.motion_share)),
        h('td', { class: 'num' }, pct(r.baseline_share)),
        h('td', { class: 'num' }, String(r.objects ?? 0)),
        h('td', { class: 'num' }, r.baseline_objects === null || r.baseline_objects === undefined ? '—' : Number(r.baseline_objects).toFixed(1)),
        hitsCell(r),
        h('td', { class: 'num hs-score' }, h('span', { class: 'hs-bar-box' }, bar), scoreText(r.score)));
      if (byCamera) {
        const pick = () => {
          const c = (data.cameras || []).find((x) => x.id === r.key);
          if (c) { map.select(c.id); showCamera({ ...c, lat: num(c.lat), lon: num(c.lon) }); }
        };
        tr.addEventListener('click', pick);
        tr.addEventListener('keydown', (ev) => { if (ev.key === 'Enter') pick(); });
      }
      return tr;
    });
    if (!body.length) {
      body.push(h('tr', {}, h('td', { colspan: '9', class: 'muted hs-empty-row' },
        'No activity in this period. Analytics counts motion on each camera’s sub stream in 15-minute buckets; scores compare them with the same hour of the week over the past four weeks.')));
    }
    rowsBox.replaceChildren(h('table', { class: 'data hs-rows', id: 'hs-rows' },
      h('thead', {}, h('tr', {}, ['#', BY.find(([v]) => v === bySel.value)[1], byCamera ? '' : 'Cameras', 'Motion', 'Usual motion', 'Objects', 'Usual objects', 'Vehicle rule hits', 'Score']
        .map((t, i) => h('th', { class: i === 0 || i > 2 ? 'num' : '' }, t)))),
      h('tbody', {}, body)));
  }

  function showCamera(c) {
    const row = (data.rows || []).find((r) => bySel.value === 'camera' && r.key === c.id);
    const links = [];
    if (ctx.can('footage.view')) {
      links.push(h('a', { class: 'btn btn-small', href: `#/wall?layout=1x1&cams=${encodeURIComponent(c.id)}` }, icon('wall'), 'Live'),
        h('a', { class: 'btn btn-small', href: `#/playback?camera=${encodeURIComponent(c.id)}` }, icon('play'), 'Playback'));
    }
    camCard.replaceChildren(
      h('div', { class: 'toolbar' }, h('strong', {}, c.name || c.id), h('span', { class: 'muted mono' }, c.id), h('span', { class: 'spacer' }),
        h('button', { class: 'btn btn-small btn-ghost', type: 'button', 'aria-label': 'Close', onclick: () => { camCard.hidden = true; map.select(''); } }, icon('close'))),
      h('p', {}, [c.ward && `Ward ${c.ward}`, c.site && `site ${c.site}`].filter(Boolean).join(', ') || 'No ward',
        Number.isFinite(c.lat) ? h('span', { class: 'muted mono' }, ` ${c.lat.toFixed(5)}, ${c.lon.toFixed(5)}`) : ''),
      h('p', {}, `Score ${scoreText(c.score)}`, row ? ` · motion ${pct(row.motion_share)} (usually ${pct(row.baseline_share)}) · ${row.objects ?? 0} objects` : '',
        ' · ', h('span', { class: Number(c.rule_hits) > 0 ? 'hs-camera-hits hs-hits-some' : 'hs-camera-hits' }, hitsText(c.rule_hits)), row && Number(row.baseline_rule_hits) > 0 ? ` (usually ${Number(row.baseline_rule_hits).toFixed(1)} a week)` : ''),
      links.length ? h('div', { class: 'toolbar' }, links) : '');
    camCard.dataset.camera = c.id;
    camCard.hidden = false;
  }

  for (const el of [fromIn, toIn, bySel]) el.addEventListener('change', load);
  showView(view);
  return () => {
    alive = false;
    if (inflight) inflight.abort();
    if (unmountRules) unmountRules();
  };
}

// hitsCell is a row's vehicle rule hits, with the usual number a week.
function hitsCell(r) {
  const n = Number(r.rule_hits) || 0;
  const usual = Number(r.baseline_rule_hits) || 0;
  return h('td', { class: 'num hs-hits', data: { hits: String(n) }, title: `${hitsText(n)} in this period; usually ${usual.toFixed(1)} a week` },
    n > 0 ? h('span', { class: 'badge badge-warn' }, String(n)) : '0',
    usual > 0 ? h('span', { class: 'muted hs-hits-usual' }, ` usually ${usual.toFixed(1)}`) : '');
}

function num(v) {
  if (v === null || v === undefined || v === '') return NaN;
  const n = Number(v);
  return Number.isFinite(n) ? n : NaN;
}
