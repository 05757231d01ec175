// deployments.js: the Deployments page. BJAG asks for mobile cameras for
// anti-social behaviour hotspots, supervisors decide and schedule them,
// engineers confirm them up and down, and everyone who may read
// deployments follows them: their state, review dates, history and the
// area's activity before and since.
//
// Routes: #/deployments[?state=...] (the list), #/deployments?view=request
// (the request form, deployments.write), #/deployments?id=N (one
// deployment), #/deployments?view=fleet (pages/fleet.js) and
// #/deployments?view=pack&month=YYYY-MM (pages/bjagpack.js). The buttons of
// a deployment are the actions the server says the signed-in person may
// take now (deploymentJSON.actions); each asks for its reason and fields,
// and the server's field errors show beside the fields.
//
// Data: GET/POST /api/v1/deployments, GET /api/v1/deployments/{id},
// POST /api/v1/deployments/{id}/{action}, GET /api/v1/fleet (the mobile
// cameras to schedule), GET /api/v1/cameras (the map's context),
// GET /api/v1/cameras/{id}/locations (where its camera stood).
//
// Hooks for tests: #dp-tab-list, #dp-tab-fleet, #dp-tab-pack
// [aria-selected]; list: #dp-filter, #dp-new, #dp-list-status,
// #dp-due-summary, table#dp-list tbody tr[data-id][data-state][data-due]
// [data-overdue]; request: form#dp-request-form with controls named as
// the API's fields (latitude, longitude, ward, address, problem,
// incidents, wanted_from, wanted_to, purpose, less_intrusive,
// dwellings_in_view, privacy_notes, masks_needed, signage_confirmed),
// .field-error[data-field] (the API's field names), #dp-request-error,
// #dp-request-submit, svg#dp-request-map (click to set the point, g#dp-
// request-map-pin); detail: #dp-detail[data-id][data-state], #dp-title,
// #dp-actions button[data-action], #dp-request, #dp-evidence, #dp-camera
// [data-camera][data-health], table#dp-figures, table#dp-history tbody
// tr[data-from][data-to]; the action dialog #dp-act-dialog, form
// #dp-act-form[data-action] with controls named as the API's fields,
// .field-error[data-field], #dp-act-error.
import { api, APIError, errorText, h, loadCSS } from '../api.js';
import { icon } from '../icons.js';
import { modal } from '../lib/modal.js';
import { s } from '../lib/svg.js';
import { londonDate, londonDateTime, londonISODate } from '../lib/time.js';
import { pct, scoreText } from '../lib/heat.js';
import { PlaceMap, mountFleet, camerasForMap, stateBadge, healthBadge, problemName, PROBLEMS, STATES } from './fleet.js';
import { mountPack } from './bjagpack.js';

const OPEN = ['requested', 'approved', 'scheduled', 'live', 'under_review', 'removal_scheduled'];
const FILTERS = [['', 'All'], ['open', 'Open'], ['due', 'Reviews due'], ...Object.entries(STATES)];

// ACTIONS: each action's button, dialog title and the fields it asks for.
const ACTIONS = {
  approve: { button: 'Approve', title: 'Approve the request', fields: ['review_date'], note: 'The supervisor’s approval, with the date it is to be reviewed by.' },
  refuse: { button: 'Refuse', title: 'Refuse the request', fields: [], danger: true, note: 'BJAG sees the reason.' },
  schedule: { button: 'Schedule', title: 'Schedule a mobile camera', fields: ['camera', 'install_date'], note: 'Assign a mobile camera and the day the engineers put it up.' },
  'confirm-install': { button: 'Confirm install', title: 'Confirm the camera is up', fields: ['install'], note: 'The camera’s record takes this place, streams and masks; recording follows at once.' },
  extend: { button: 'Extend', title: 'Extend the deployment', fields: ['review_date'], note: 'Keep the camera up until the next review.' },
  'schedule-removal': { button: 'Schedule removal', title: 'Schedule the removal', fields: ['removal_date'], note: 'The engineers take the camera down on that day.' },
  'confirm-removal': { button: 'Confirm removal', title: 'Confirm the camera is down', fields: [], note: 'The camera is disabled and its place here ends now.' },
  cancel: { button: 'Cancel deployment', title: 'Cancel the deployment', fields: [], danger: true, note: 'A cancelled deployment cannot be taken up again: ask anew.' },
};

const dayAhead = (n) => londonISODate(new Date(Date.now() + n * 86400e3));
const dateOnly = (t) => (t ? londonDate(t) : '—');

export function mount(root, ctx) {
  loadCSS('/static/pages/hotspots.css');
  loadCSS('/static/pages/deployments.css');
  const p = ctx.params;
  const write = ctx.can('deployments.write');
  const id = Number(p.get('id')) || 0;
  let view = id ? 'detail' : p.get('view') || 'list';
  if (!['list', 'fleet', 'pack', 'request'].includes(view) && view !== 'detail') view = 'list';
  if (view === 'request' && !write) view = 'list';
  const tab = view === 'fleet' || view === 'pack' ? view : 'list';

  const abort = new AbortController();
  const closers = new Set();
  const state = { alive: true, stop: null };
  const get = (path) => api('GET', path, null, { signal: abort.signal });

  const tabButton = (key, title, hash) => h('button', {
    class: 'btn', type: 'button', role: 'tab', id: 'dp-tab-' + key, 'aria-selected': String(key === tab), 'aria-pressed': String(key === tab),
    onclick: () => ctx.navigate(hash),
  }, title);
  const body = h('div', { class: 'dp-body', role: 'tabpanel', 'aria-labelledby': 'dp-tab-' + tab });
  root.append(h('section', { class: 'dp-page' },
    h('div', { class: 'toolbar dp-head' }, h('h1', {}, 'Mobile camera deployments'),
      h('div', { class: 'dp-tabs', role: 'tablist', 'aria-label': 'Views' },
        tabButton('list', 'Deployments', '#/deployments'), tabButton('fleet', 'Fleet', '#/deployments?view=fleet'), tabButton('pack', 'BJAG pack', '#/deployments?view=pack'))),
    body));

  if (view === 'fleet') state.stop = mountFleet(body, ctx);
  else if (view === 'pack') state.stop = mountPack(body, ctx);
  else if (view === 'request') showRequest();
  else if (view === 'detail') showDetail(id);
  else showList();

  // ===================================================================
  // The list.
  function showList() {
    const filter = h('select', { id: 'dp-filter', 'aria-label': 'Show' }, FILTERS.map(([v, t]) => h('option', { value: v }, t)));
    filter.value = FILTERS.some(([v]) => v === p.get('state')) ? p.get('state') : '';
    const status = h('p', { class: 'muted', id: 'dp-list-status', role: 'status' });
    const due = h('p', { class: 'dp-due-summary', id: 'dp-due-summary', hidden: true });
    const tableBox = h('div', { class: 'dp-table-wrap' });
    let all = [];
    body.append(h('section', { class: 'panel' },
      h('div', { class: 'toolbar' }, h('label', { class: 'field field-inline' }, h('span', {}, 'Show'), filter),
        h('button', { class: 'btn', type: 'button', id: 'dp-refresh', onclick: () => load() }, icon('refresh'), 'Refresh'),
        h('span', { class: 'spacer' }),
        write ? h('a', { class: 'btn btn-primary', id: 'dp-new', href: '#/deployments?view=request' }, icon('plus'), 'Request a camera') : null),
      due, status, tableBox));
    filter.addEventListener('change', () => {
      history.replaceState(null, '', '#/deployments' + (filter.value ? '?' + new URLSearchParams({ state: filter.value }) : ''));
      draw();
    });

    // The whole list is read once (newest first) and filtered here: a
    // borough has tens of deployments, and the due count needs them all.
    async function load() {
      status.className = 'muted';
      status.textContent = 'Loading…';
      try {
        const res = await get('/api/v1/deployments');
        if (!state.alive) return;
        all = ((res && res.deployments) || []).slice().sort((a, b) => b.id - a.id);
        draw();
      } catch (e) {
        if (!state.alive || e.name === 'AbortError') return;
        status.className = 'form-error';
        status.textContent = 'Cannot load the deployments: ' + errorText(e);
      }
    }

    function draw() {
      const f = filter.value;
      const shown = all.filter((d) => !f || (f === 'open' ? OPEN.includes(d.state) : f === 'due' ? d.review_due : d.state === f));
      const dueN = all.filter((d) => d.review_due).length;
      const overdueN = all.filter((d) => d.review_overdue).length;
      due.hidden = !dueN;
      due.replaceChildren(icon('bell'), ` ${dueN} ${dueN === 1 ? 'review is' : 'reviews are'} due`, overdueN ? h('strong', {}, `, ${overdueN} overdue`) : '', '. ',
        h('a', { href: '#/deployments?state=due', onclick: (ev) => { ev.preventDefault(); filter.value = 'due'; filter.dispatchEvent(new Event('change')); } }, 'Show them'));
      status.className = 'muted';
      status.textContent = `${shown.length} of ${all.length} ${all.length === 1 ? 'deployment' : 'deployments'}, newest first.`;
      const rows = shown.map((d) => {
        const r = d.request || {};
        const tr = h('tr', {
          class: d.review_overdue ? 'dp-overdue' : d.review_due ? 'dp-due' : '', tabindex: '0',
          data: { id: String(d.id), state: d.state, due: String(!!d.review_due), overdue: String(!!d.review_overdue) },
        },
        h('td', {}, h('a', { href: `#/deployments?id=${d.id}` }, `#${d.id}`)),
        h('td', {}, stateBadge(d.state), dueBadge(d)),
        h('td', {}, problemName(r.problem)),
        h('td', { class: 'dp-area' }, r.address || '—', h('br'), h('span', { class: 'muted' }, r.ward || '')),
        h('td', { class: 'mono' }, d.camera || '—'),
        h('td', {}, d.requested_by, h('br'), h('span', { class: 'muted' }, dateOnly(d.requested_at))),
        h('td', {}, `${dateOnly(r.wanted_from)} – ${dateOnly(r.wanted_to)}`),
        h('td', { class: 'dp-review' }, dateOnly(d.review_date)));
        const open = (ev) => { if (!ev.target.closest('a')) ctx.navigate(`#/deployments?id=${d.id}`); };
        tr.addEventListener('click', open);
        tr.addEventListener('keydown', (ev) => { if (ev.key === 'Enter') open(ev); });
        return tr;
      });
      if (!rows.length) {
        rows.push(h('tr', {}, h('td', { colspan: '8', class: 'muted' }, all.length ? 'None match.' : 'No deployments yet.',
          write && !all.length ? ' Ask for a camera with Request a camera.' : '')));
      }
      tableBox.replaceChildren(h('table', { class: 'data dp-list', id: 'dp-list' },
        h('thead', {}, h('tr', {}, ['#', 'State', 'Problem', 'Area', 'Camera', 'Requested', 'Wanted', 'Review by'].map((t) => h('th', {}, t)))),
        h('tbody', {}, rows)));
    }
    load();
  }

  // ===================================================================
  // The request form.
  function showRequest() {
    const errs = {};
    const controls = {};
    // field wraps a control with its label and the error line of the
    // API's field name (errors of several names may share one line).
    const field = (label, name, input, { hint = null, errField = name, cls = '' } = {}) => {
      controls[errField] = controls[errField] || input;
      const err = errs[errField] || h('span', { class: 'form-error field-error', id: 'dp-err-' + errField.replace('.', '-'), data: { field: errField } });
      errs[errField] = err;
      input.setAttribute('aria-describedby', err.id);
      return h('label', { class: `field ${cls}`.trim(), data: { field: name } }, h('span', {}, label), input, hint, err);
    };
    // check is a checkbox in its label, with the error line of errField.
    const check = (label, name, errField) => {
      const box = h('input', { type: 'checkbox', name });
      controls[errField || name] = controls[errField || name] || box;
      const err = errField ? (errs[errField] = errs[errField] || h('span', { class: 'form-error field-error', id: 'dp-err-' + errField.replace('.', '-'), data: { field: errField } })) : null;
      return { box, label: h('label', { class: 'dp-check', data: { field: name } }, box, h('span', {}, label)), err };
    };
    const lat = h('input', { name: 'latitude', type: 'number', step: 'any', inputmode: 'decimal', placeholder: '51.54' });
    const lon = h('input', { name: 'longitude', type: 'number', step: 'any', inputmode: 'decimal', placeholder: '0.086' });
    const ward = h('input', { name: 'ward', list: 'dp-wards', maxlength: '100', autocomplete: 'off' });
    const wards = h('datalist', { id: 'dp-wards' });
    const address = h('input', { name: 'address', maxlength: '300', placeholder: 'e.g. Park gates, Longbridge Road' });
    const problem = h('select', { name: 'problem' }, h('option', { value: '' }, 'Choose…'), PROBLEMS.map(([v, t]) => h('option', { value: v }, t)));
    const incidents = h('textarea', { name: 'incidents', rows: 2, placeholder: 'One per line, e.g. CAD 1234/26 or ASB/2026/0117' });
    const from = h('input', { name: 'wanted_from', type: 'date', value: dayAhead(7), min: dayAhead(0) });
    const to = h('input', { name: 'wanted_to', type: 'date', value: dayAhead(7 + 56), min: dayAhead(1) });
    const purpose = h('textarea', { name: 'purpose', rows: 3, maxlength: '2000', placeholder: 'What the camera is for: e.g. to deter and identify drug dealing at the park gates' });
    const lessIntr = h('textarea', { name: 'less_intrusive', rows: 3, maxlength: '2000', placeholder: 'Patrols, lighting, signage alone… what was tried and why it is not enough' });
    const notes = h('textarea', { name: 'privacy_notes', rows: 2, maxlength: '2000', placeholder: 'Which homes, and how they are protected (masks, the camera’s angle)' });
    const dwell = check('Private dwellings (windows, gardens) are in view', 'dwellings_in_view');
    const masks = check('Privacy masks are needed before going live', 'masks_needed');
    const signage = check('CCTV signage is up (or will be) in the area', 'signage_confirmed', 'signage_confirmed');
    const general = h('p', { class: 'form-error', role: 'alert', id: 'dp-request-error' });
    const submit = h('button', { class: 'btn btn-primary', type: 'submit', id: 'dp-request-submit' }, 'Send the request');
    const mapBox = h('div', {});
    const map = new PlaceMap(mapBox, { id: 'dp-request-map', label: 'Map: click to set the area’s point', onPoint: setPoint });
    let cameras = [];
    let others = [];
    let extent = []; // the borough's corners: the map's extent when nothing has a place

    const form = h('form', { class: 'dp-request-form', id: 'dp-request-form', novalidate: true },
      h('div', { class: 'dp-request-grid' },
        h('section', { class: 'panel', 'aria-label': 'Where' },
          h('h2', {}, 'Where'),
          h('p', { class: 'muted' }, 'Click the map to set the point (grey dots are cameras, coloured ones other open requests), or type it.'),
          mapBox,
          h('div', { class: 'form-grid' }, field('Latitude', 'latitude', lat), field('Longitude', 'longitude', lon, { errField: 'longitude' })),
          h('div', { class: 'form-grid' }, field('Ward', 'ward', ward), field('Address', 'address', address)), wards),
        h('section', { class: 'panel', 'aria-label': 'Why' },
          h('h2', {}, 'The problem'),
          h('div', { class: 'form-grid' }, field('Problem', 'problem', problem),
            field('Wanted from', 'wanted_from', from), field('Wanted until', 'wanted_to', to)),
          field('Incident references', 'incidents', incidents, { errField: 'evidence.incidents', hint: h('small', { class: 'muted' }, 'The area’s hotspot figures of the last four weeks are attached by the server.') }),
          h('h2', {}, 'Justification (Surveillance Camera Code)'),
          field('Purpose', 'purpose', purpose),
          field('Why less intrusive means are not enough', 'less_intrusive', lessIntr),
          h('fieldset', { class: 'dp-privacy' }, h('legend', {}, 'Privacy impact'),
            dwell.label, field('How private dwellings are protected', 'privacy_notes', notes, { errField: 'privacy.notes' }),
            masks.label, signage.label, signage.err),
          general,
          h('div', { class: 'toolbar' }, submit, h('a', { class: 'btn', href: '#/deployments' }, 'Cancel')))));
    body.append(form);

    function setPoint(pt) {
      lat.value = String(pt.lat);
      lon.value = String(pt.lon);
      drawMap();
      // The nearest camera's ward is a good guess when none is given.
      if (!ward.value) {
        let best = null;
        for (const c of cameras) {
          const dd = (c.lat - pt.lat) ** 2 + (c.lon - pt.lon) ** 2;
          if (c.ward && (!best || dd < best.d)) best = { d: dd, ward: c.ward };
        }
        if (best) ward.value = best.ward;
      }
    }
    const num = (v) => (v === '' ? NaN : Number(v));
    function drawMap() {
      const pick = Number.isFinite(num(lat.value)) && Number.isFinite(num(lon.value)) ? { lat: num(lat.value), lon: num(lon.value) } : null;
      map.draw({
        context: cameras,
        points: others.map((d) => ({ id: 'dep' + d.id, lat: d.request.latitude, lon: d.request.longitude, label: `#${d.id}`,
          title: `#${d.id} ${problemName(d.request.problem)} at ${d.request.address || '?'} (${STATES[d.state] || d.state})`, cls: 'dp-pt-other' })),
        pick,
        extent,
      }, 'No camera has a place yet: type the latitude and longitude.');
    }
    for (const el of [lat, lon]) el.addEventListener('change', drawMap);

    function clear() {
      general.textContent = '';
      for (const [f, e] of Object.entries(errs)) { e.textContent = ''; if (controls[f]) controls[f].removeAttribute('aria-invalid'); }
    }
    function showErr(f, msg) {
      const key = errs[f] ? f : f.startsWith('privacy.') && errs['privacy.notes'] ? 'privacy.notes' : f.startsWith('evidence.') ? 'evidence.incidents' : f;
      if (!errs[key]) return false;
      errs[key].textContent = errs[key].textContent ? errs[key].textContent + '; ' + msg : msg;
      if (controls[key]) controls[key].setAttribute('aria-invalid', 'true');
      return true;
    }

    form.addEventListener('submit', async (ev) => {
      ev.preventDefault();
      clear();
      const input = {
        latitude: Number(lat.value) || 0, longitude: Number(lon.value) || 0, ward: ward.value.trim(), address: address.value.trim(),
        problem: problem.value, incidents: incidents.value.split(/[\n;]+/).map((x) => x.trim()).filter(Boolean),
        wanted_from: from.value, wanted_to: to.value, purpose: purpose.value.trim(), less_intrusive: lessIntr.value.trim(),
        privacy: { dwellings_in_view: dwell.box.checked, masks_needed: masks.box.checked, notes: notes.value.trim() },
        signage_confirmed: signage.box.checked,
      };
      submit.disabled = true;
      try {
        const d = await api('POST', '/api/v1/deployments', input);
        ctx.toast(`Request #${d.id} sent: a supervisor decides it`, 'ok');
        ctx.navigate(`#/deployments?id=${d.id}`);
      } catch (e) {
        const fields = e instanceof APIError && e.body && Array.isArray(e.body.fields) ? e.body.fields : [];
        if (fields.length) {
          const rest = fields.filter((x) => !showErr(x.field, x.message));
          general.textContent = rest.length ? rest.map((x) => `${x.field}: ${x.message}`).join('; ') : 'Check the fields marked.';
          const bad = form.querySelector('[aria-invalid="true"]');
          if (bad) bad.focus();
        } else {
          general.textContent = 'The request was not sent: ' + errorText(e);
        }
      } finally {
        submit.disabled = false;
      }
    });

    drawMap();
    (async () => {
      const [cams, deps, fl] = await Promise.allSettled([camerasForMap(get), get('/api/v1/deployments?state=' + OPEN.join(',')), get('/api/v1/fleet')]);
      if (!state.alive) return;
      const b = fl.status === 'fulfilled' && fl.value && fl.value.borough;
      if (b) extent = [{ lat: b.min_lat, lon: b.min_lon }, { lat: b.max_lat, lon: b.max_lon }];
      if (cams.status === 'fulfilled') {
        cameras = cams.value;
        const names = [...new Set(cameras.map((c) => c.ward).filter(Boolean))].sort();
        wards.replaceChildren(...names.map((w) => h('option', { value: w })));
      }
      if (deps.status === 'fulfilled') others = (deps.value && deps.value.deployments) || [];
      drawMap();
    })();
  }

  // ===================================================================
  // One deployment.
  function showDetail(depID) {
    const box = h('div', { id: 'dp-detail', data: { id: String(depID) } }, h('p', { class: 'muted' }, 'Loading…'));
    body.append(h('p', {}, h('a', { href: '#/deployments', id: 'dp-back' }, '← All deployments')), box);
    let map = null;
    let cameras = null; // the map's context, loaded once
    let lastDrawn = null;

    // drawMap shows where it was asked for and where its camera stands
    // (one point when the camera is where it was asked for).
    function drawMap(d, place) {
      lastDrawn = [d, place];
      if (!map) return;
      const r = d.request || {};
      const near = place && Math.abs(place.latitude - r.latitude) < 2e-4 && Math.abs(place.longitude - r.longitude) < 2e-4;
      const pts = [];
      if (!near) pts.push({ id: 'asked', lat: r.latitude, lon: r.longitude, label: 'asked for', title: `Asked for: ${r.address || ''}`, cls: 'dp-pt-other' });
      if (place) {
        pts.push({ id: 'camera', lat: place.latitude, lon: place.longitude, label: near ? `${d.camera} (where asked)` : d.camera,
          title: `${d.camera} at ${place.address || place.name}`, cls: place.to ? 'dp-pt-free' : 'dp-pt-live' });
      }
      map.draw({ context: (cameras || []).filter((c) => c.id !== d.camera), points: pts });
    }

    async function load() {
      let d;
      try {
        d = await get(`/api/v1/deployments/${depID}`);
      } catch (e) {
        if (!state.alive || e.name === 'AbortError') return;
        box.replaceChildren(h('div', { class: 'panel empty' }, h('h2', {}, e.status === 404 ? 'No such deployment' : 'Cannot load the deployment'),
          h('p', {}, e.status === 404 ? `There is no deployment #${depID}.` : errorText(e))));
        return;
      }
      if (!state.alive) return;
      let places = [];
      if (d.camera && ctx.can('cameras.read')) {
        try {
          const res = await get(`/api/v1/cameras/${encodeURIComponent(d.camera)}/locations`);
          places = ((res && res.locations) || []).filter((l) => l.deployment_id === d.id);
        } catch (e) {
          if (e.name === 'AbortError') return;
        }
      }
      if (state.alive) draw(d, places);
      if (!cameras && ctx.can('cameras.read')) {
        cameras = await camerasForMap(get);
        if (state.alive && lastDrawn) drawMap(...lastDrawn);
      }
    }

    function draw(d, places) {
      const r = d.request || {};
      const ev = r.evidence || {};
      const pv = r.privacy || {};
      box.dataset.state = d.state;
      const actions = h('div', { class: 'toolbar row-actions dp-actions', id: 'dp-actions' },
        (d.actions || []).filter((a) => ACTIONS[a]).map((a) => h('button', {
          class: `btn ${ACTIONS[a].danger ? 'btn-danger' : a === 'cancel' ? '' : 'btn-primary'}`, type: 'button', data: { action: a }, onclick: () => act(d, a),
        }, ACTIONS[a].button)));
      const dl = (pairs) => h('dl', { class: 'dp-dl' }, pairs.filter(Boolean).map(([k, v]) => [h('dt', {}, k), h('dd', {}, v)]));
      const yes = (b) => (b ? 'yes' : 'no');
      const mapBox = h('div', {});
      const place = places.length ? places[places.length - 1] : null;
      const footage = ctx.can('footage.view') && d.camera && d.live_at;
      box.replaceChildren(
        h('div', { class: 'toolbar dp-detail-head' },
          h('h2', { id: 'dp-title' }, `Deployment #${d.id}: ${problemName(r.problem)}`, r.address ? ` at ${r.address}` : ''),
          stateBadge(d.state), dueBadge(d), h('span', { class: 'spacer' }), actions),
        h('div', { class: 'dp-detail-grid' },
          h('div', {},
            h('section', { class: 'panel', 'aria-label': 'The request', id: 'dp-request' },
              h('h3', {}, 'The request'),
              dl([
                ['Area', [r.address || '—', r.ward ? `, ${r.ward}` : '', h('br'), h('span', { class: 'muted mono' }, `${Number(r.latitude).toFixed(5)}, ${Number(r.longitude).toFixed(5)}`)]],
                ['Problem', problemName(r.problem)],
                ['Wanted', `${dateOnly(r.wanted_from)} to ${dateOnly(r.wanted_to)}`],
                ['Purpose', h('span', { class: 'dp-text' }, r.purpose)],
                ['Less intrusive means', h('span', { class: 'dp-text' }, r.less_intrusive)],
                ['Dwellings in view', yes(pv.dwellings_in_view)],
                ['Privacy masks needed', yes(pv.masks_needed)],
                pv.notes ? ['Privacy notes', h('span', { class: 'dp-text' }, pv.notes)] : null,
                ['Signage confirmed', yes(r.signage_confirmed)],
                ['Requested', `${d.requested_by}, ${londonDateTime(d.requested_at)}`],
              ])),
            h('section', { class: 'panel', 'aria-label': 'Evidence', id: 'dp-evidence' },
              h('h3', {}, 'Evidence when requested'),
              dl([
                ['Hotspot score', h('span', { class: 'dp-ev-score' }, scoreText(ev.score))],
                ['Motion share', pct(ev.motion_share)],
                ['Vehicle rule hits', h('span', { class: 'dp-ev-hits' }, String(ev.rule_hits ?? 0))],
                ['Over', ev.from ? `${dateOnly(ev.from)} to ${dateOnly(ev.to)}` : '—'],
                ['Cameras', (ev.cameras || []).length ? (ev.cameras || []).join(', ') : h('span', { class: 'muted' }, 'none in the ward')],
                ['Incidents', (r.evidence && r.evidence.incidents && r.evidence.incidents.length) ? r.evidence.incidents.join(', ') : h('span', { class: 'muted' }, 'none given')],
              ])),
            h('section', { class: 'panel', 'aria-label': 'Decision' },
              h('h3', {}, 'Decision and dates'),
              dl([
                ['Decided', d.decided_by ? `${d.decided_by}, ${londonDateTime(d.decided_at)}` : '—'],
                d.decision ? ['Decision', h('span', { class: 'dp-text' }, d.decision)] : null,
                ['Review by', [dateOnly(d.review_date), dueBadge(d)]],
                ['Install', dateOnly(d.install_date)],
                ['Live since', d.live_at ? londonDateTime(d.live_at) : '—'],
                ['Removal', dateOnly(d.removal_date)],
                ['Removed', d.removed_at ? londonDateTime(d.removed_at) : '—'],
              ]))),
          h('div', {},
            h('section', { class: 'panel', 'aria-label': 'Map' }, h('h3', {}, 'Where'), mapBox),
            h('section', { class: 'panel', 'aria-label': 'Camera', id: 'dp-camera', data: { camera: d.camera || '', health: d.camera_status ? d.camera_status.state : '' } },
              h('h3', {}, 'Camera'),
              d.camera ? dl([
                ['Camera', h('span', { class: 'mono' }, d.camera)],
                ['Health', d.camera_status ? healthBadge(d.camera_status.state) : '—'],
                place ? ['Placed', [place.name || place.address, h('br'), h('span', { class: 'muted' }, `since ${londonDateTime(place.from)}${place.to ? ', until ' + londonDateTime(place.to) : ''}`)]] : null,
              ]) : h('p', { class: 'muted' }, 'No camera assigned yet.'),
              h('div', { class: 'toolbar' }, d.camera ? h('a', { class: 'btn btn-small', href: '#/deployments?view=fleet' }, 'Fleet') : null,
                footage ? h('a', { class: 'btn btn-small', href: `#/playback?camera=${encodeURIComponent(d.camera)}` }, icon('play'), 'Playback') : null)),
            figuresPanel(d),
            h('section', { class: 'panel', 'aria-label': 'History' }, h('h3', {}, 'History'), historyTable(d.events || [])))));
      map = new PlaceMap(mapBox, { id: 'dp-detail-map', label: 'Map of the deployment' });
      drawMap(d, place);
    }

    // act opens the dialog of an action and sends it.
    function act(d, name) {
      const a = ACTIONS[name];
      const r = d.request || {};
      const errs = {};
      const controls = {};
      const field = (label, f, input, hint = null) => {
        controls[f] = input;
        errs[f] = h('span', { class: 'form-error field-error', id: 'dp-act-err-' + f, data: { field: f } });
        input.setAttribute('aria-describedby', 'dp-act-err-' + f);
        return h('label', { class: 'field', data: { field: f } }, h('span', {}, label), input, hint, errs[f]);
      };
      const inputs = {};
      const parts = [h('p', { class: 'muted' }, a.note)];
      const date = (n, value) => h('input', { name: n, type: 'date', value, min: dayAhead(0) });
      for (const f of a.fields) {
        if (f === 'review_date') {
          inputs.review_date = date('review_date', dayAhead(28));
          parts.push(field('Review by', 'review_date', inputs.review_date));
        } else if (f === 'install_date') {
          inputs.install_date = date('install_date', d.install_date ? londonISODate(d.install_date) : dayAhead(0));
          parts.push(field('Install on', 'install_date', inputs.install_date));
        } else if (f === 'removal_date') {
          inputs.removal_date = date('removal_date', dayAhead(0));
          parts.push(field('Remove on', 'removal_date', inputs.removal_date));
        } else if (f === 'camera') {
          inputs.camera = h('select', { name: 'camera' }, h('option', { value: '' }, 'Loading the mobile cameras…'));
          parts.push(field('Mobile camera', 'camera', inputs.camera));
          fillCameras(inputs.camera, d);
        } else if (f === 'install') {
          const text = (n, value = '', attrs = {}) => (inputs[n] = h('input', { name: n, value, autocomplete: 'off', ...attrs }));
          text('latitude', String(r.latitude ?? ''), { type: 'number', step: 'any' });
          text('longitude', String(r.longitude ?? ''), { type: 'number', step: 'any' });
          text('name', '', { placeholder: `${r.address || 'address'} (mobile)`, maxlength: '100' });
          text('address', r.address || '', { maxlength: '300' });
          text('site', '', { maxlength: '100' });
          text('ward', r.ward || '', { maxlength: '100' });
          text('main_url', '', { placeholder: 'unchanged', spellcheck: 'false' });
          text('sub_url', '', { placeholder: 'unchanged', spellcheck: 'false' });
          inputs.privacy_masks = h('textarea', { name: 'privacy_masks', rows: 3, spellcheck: 'false', placeholder: '0.6,0,1,0.4   (one rectangle a line: x0,y0,x1,y1)' });
          const preview = h('div', { class: 'dp-mask-preview', id: 'dp-mask-preview' });
          const drawPreview = () => {
            const { rects } = parseMasks(inputs.privacy_masks.value);
            preview.replaceChildren(maskPreview(rects));
          };
          inputs.privacy_masks.addEventListener('input', drawPreview);
          drawPreview();
          parts.push(
            h('div', { class: 'form-grid' }, field('Latitude', 'latitude', inputs.latitude), field('Longitude', 'longitude', inputs.longitude)),
            h('div', { class: 'form-grid' }, field('Camera name there', 'name', inputs.name), field('Address', 'address', inputs.address)),
            h('div', { class: 'form-grid' }, field('Site', 'site', inputs.site), field('Ward', 'ward', inputs.ward)),
            field('Main stream URL', 'main_url', inputs.main_url), field('Sub stream URL', 'sub_url', inputs.sub_url),
            field('Privacy masks', 'privacy_masks', inputs.privacy_masks,
              h('small', { class: (r.privacy || {}).masks_needed ? 'dp-mask-needed' : 'muted' },
                (r.privacy || {}).masks_needed ? 'The request says masks are needed: give at least one unless the camera has them already. ' : '',
                'Rectangles in fractions of the picture (0,0 top left; 1,1 bottom right); empty keeps the camera’s masks.')),
            preview);
        }
      }
      inputs.reason = h('textarea', { name: 'reason', rows: 2, maxlength: '2000', placeholder: 'Why: it goes in the evidence log' });
      parts.push(field('Reason', 'reason', inputs.reason));
      function clear() { for (const [f, e] of Object.entries(errs)) { e.textContent = ''; controls[f].removeAttribute('aria-invalid'); } }
      function showErr(f, msg) {
        const key = f;
        if (!errs[key]) return false;
        errs[key].textContent = errs[key].textContent ? errs[key].textContent + '; ' + msg : msg;
        controls[key].setAttribute('aria-invalid', 'true');
        return true;
      }
      const focusBad = () => { const b = Object.values(controls).find((c) => c.getAttribute('aria-invalid') === 'true'); if (b) b.focus(); };
      const close = modal(`${a.title} (#${d.id})`, parts, {
        id: 'dp-act-dialog', formID: 'dp-act-form', errorID: 'dp-act-error', novalidate: true, submit: a.button, danger: !!a.danger, formClass: 'dp-act-form',
        onSubmit: async (form, general) => {
          clear();
          const input = { reason: inputs.reason.value.trim() };
          for (const k of ['review_date', 'install_date', 'removal_date', 'camera', 'name', 'address', 'site', 'ward', 'main_url', 'sub_url']) {
            if (inputs[k]) input[k] = inputs[k].value.trim();
          }
          if (inputs.latitude) {
            input.latitude = Number(inputs.latitude.value) || 0;
            input.longitude = Number(inputs.longitude.value) || 0;
          }
          if (inputs.privacy_masks) {
            const { rects, bad } = parseMasks(inputs.privacy_masks.value);
            if (bad) { showErr('privacy_masks', bad); focusBad(); return false; }
            if (rects.length) input.privacy_masks = rects.map(([x0, y0, x1, y1]) => [[x0, y0], [x1, y0], [x1, y1], [x0, y1]]);
          }
          try {
            await api('POST', `/api/v1/deployments/${d.id}/${name}`, input);
          } catch (e) {
            if (!(e instanceof APIError)) throw e;
            const fields = Array.isArray(e.body && e.body.fields) ? e.body.fields : [];
            if (fields.length) {
              const rest = fields.filter((x) => !showErr(x.field, x.message));
              general.textContent = rest.length ? rest.map((x) => `${x.field}: ${x.message}`).join('; ') : 'Check the fields marked.';
              focusBad();
              return false;
            }
            if (e.status === 409 && inputs.camera && /camera/.test(e.message)) { showErr('camera', e.message); focusBad(); return false; }
            // Moved on by someone else meanwhile: the page is out of date.
            if (e.status === 409 && /someone else|deployment \d+ is /.test(e.message)) throw new Error(e.message + '. Cancel, and look at the deployment again.');
            throw e;
          }
          closers.delete(close);
          ctx.toast(`Deployment #${d.id}: ${a.button.toLowerCase()} done`, 'ok');
          load();
          return true;
        },
      });
      closers.add(close);
    }

    // fillCameras lists the mobile cameras to schedule (GET /api/v1/cameras,
    // kind mobile); one serving another deployment (the fleet says which)
    // or kept in the config file (its place cannot be changed here) cannot
    // be chosen.
    async function fillCameras(sel, d) {
      try {
        const [cams, fl] = await Promise.all([get('/api/v1/cameras'), get('/api/v1/fleet')]);
        const mobile = ((cams && cams.cameras) || []).filter((c) => c.kind === 'mobile').sort((a, b) => a.id.localeCompare(b.id));
        const fleet = new Map(((fl && fl.fleet) || []).map((c) => [c.camera, c]));
        sel.replaceChildren(h('option', { value: '' }, mobile.length ? 'Choose a mobile camera…' : 'No mobile cameras: an engineer registers them'),
          ...mobile.map((c) => {
            const f = fleet.get(c.id) || {};
            const busy = f.deployment && f.deployment !== d.id;
            const managed = c.managed_by === 'config';
            const where = f.location ? `at ${f.location.address || f.location.name}` : 'in the depot';
            return h('option', { value: c.id, disabled: !!(busy || managed) },
              `${c.name || c.id} (${c.id}) — `, busy ? `on deployment #${f.deployment}` : managed ? 'kept in the config file: cannot be moved here' : where,
              c.enabled ? '' : ', disabled');
          }));
        if (d.camera) sel.value = d.camera;
      } catch (e) {
        if (e.name !== 'AbortError') sel.replaceChildren(h('option', { value: '' }, 'Cannot list the mobile cameras: ' + errorText(e)));
      }
    }

    load();
  }

  return () => {
    state.alive = false;
    abort.abort();
    for (const c of [...closers]) c();
    if (state.stop) state.stop();
  };
}

function dueBadge(d) {
  if (d.review_overdue) return h('span', { class: 'badge badge-offline dp-due-badge', data: { due: 'overdue' } }, 'review overdue');
  if (d.review_due) return h('span', { class: 'badge badge-warn dp-due-badge', data: { due: 'due' } }, 'review due');
  return '';
}

function figuresPanel(d) {
  const f = d.figures;
  if (!f) {
    return h('section', { class: 'panel', 'aria-label': 'Before and after' }, h('h3', {}, 'Before and after'),
      h('p', { class: 'muted', id: 'dp-figures-none' }, 'The area’s activity before and since going live shows here once the camera is live.'));
  }
  const b = f.before || {}, a = f.after || {};
  const period = (x) => (x.from ? `${dateOnly(x.from)} – ${dateOnly(x.to)}` : '');
  const change = (x, y, fmt) => {
    if (!Number.isFinite(Number(x)) || !Number.isFinite(Number(y))) return '—';
    const dlt = Number(y) - Number(x);
    return (dlt > 0 ? '+' : '') + fmt(dlt);
  };
  const row = (key, title, fmt, rawFmt = fmt) => h('tr', { data: { figure: key } }, h('th', {}, title),
    h('td', { class: 'num dp-before' }, fmt(b[key])), h('td', { class: 'num dp-after' }, fmt(a[key])), h('td', { class: 'num' }, change(b[key], a[key], rawFmt)));
  return h('section', { class: 'panel', 'aria-label': 'Before and after' }, h('h3', {}, 'Before and after'),
    h('table', { class: 'data dp-figures', id: 'dp-figures' },
      h('thead', {}, h('tr', {}, h('th', {}, ''), h('th', { class: 'num' }, 'Before live', h('br'), h('small', { class: 'muted' }, period(b))),
        h('th', { class: 'num' }, 'Since live', h('br'), h('small', { class: 'muted' }, period(a))), h('th', { class: 'num' }, 'Change'))),
      h('tbody', {},
        row('score', 'Hotspot score', scoreText),
        row('motion_share', 'Motion share', (v) => pct(v)),
        row('rule_hits', 'Vehicle rule hits', (v) => String(v ?? 0), (v) => String(v)))),
    h('p', { class: 'muted dp-figures-note' }, 'The ward’s cameras and the deployment’s own: four weeks before it went live, and since (at most the last four weeks).'));
}

function historyTable(events) {
  const rows = events.map((e) => h('tr', { data: { from: e.from || '', to: e.to } },
    h('td', { class: 'dp-when' }, londonDateTime(e.at)),
    h('td', {}, e.actor),
    h('td', {}, e.from ? [stateBadge(e.from), ' → '] : '', stateBadge(e.to)),
    h('td', { class: 'dp-text' }, e.reason),
    h('td', { class: 'muted' }, e.detail || '')));
  if (!rows.length) rows.push(h('tr', {}, h('td', { colspan: '5', class: 'muted' }, 'No history.')));
  return h('div', { class: 'dp-table-wrap' }, h('table', { class: 'data dp-history', id: 'dp-history' },
    h('thead', {}, h('tr', {}, ['When (London)', 'Who', 'State', 'Reason', 'Detail'].map((t) => h('th', {}, t)))),
    h('tbody', {}, rows)));
}

/** parseMasks reads one rectangle a line, "x0,y0,x1,y1" in fractions of the frame. */
export function parseMasks(text) {
  const rects = [];
  const lines = String(text || '').split('\n').map((l) => l.trim()).filter(Boolean);
  for (const [i, line] of lines.entries()) {
    const v = line.split(/[\s,]+/).filter(Boolean).map(Number);
    if (v.length !== 4 || v.some((x) => !Number.isFinite(x) || x < 0 || x > 1)) {
      return { rects, bad: `line ${i + 1}: four fractions 0-1, x0,y0,x1,y1` };
    }
    const [x0, y0, x1, y1] = v;
    if (!(x1 > x0 && y1 > y0)) return { rects, bad: `line ${i + 1}: x1 must be right of x0 and y1 below y0` };
    rects.push(v);
  }
  return { rects, bad: '' };
}

// maskPreview is the frame (16:9) with the rectangles drawn as masks are.
function maskPreview(rects) {
  return s('svg', { viewBox: '0 0 160 90', class: 'dp-mask-svg', role: 'img', 'aria-label': `${rects.length} privacy ${rects.length === 1 ? 'mask' : 'masks'} on the frame` },
    s('rect', { x: 0, y: 0, width: 160, height: 90, class: 'dp-mask-frame' }),
    rects.map(([x0, y0, x1, y1]) => s('rect', { x: x0 * 160, y: y0 * 90, width: (x1 - x0) * 160, height: (y1 - y0) * 90, class: 'dp-mask-rect' })));
}
