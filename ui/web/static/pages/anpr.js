// anpr.js: the Plates page. Number-plate reads (a live list of the latest,
// and a search) and the watch-list.
//
// Route: #/anpr (reads) and #/anpr?view=watchlist. The reads view takes
// ?plate=&mode=exact|wildcard|fuzzy&distance=&camera=&from=&to= (RFC 3339)
// to prefill the search, which then runs once the reason is given (the
// wall's ANPR alert cards link here that way).
//
// A search of reads is a consultation of personal data: the server wants
// a reason with every one and logs it (anpr.search). So the reads view asks
// the reason (and an optional reference) once, when it opens, before any
// request; the live list then asks the server again every 20 s, only while
// the page is visible, each time a logged search with that reason, and the
// page says so. A search has its own reason and reference, prefilled with
// the page's. Crops and vehicle pictures are footage, each view logged
// (footage.plate_image) with the reason; the browser keeps them an hour,
// so a refresh does not fetch (or log) the same picture again.
//
// The watch-list is read by operators and supervisors (anpr.search, no
// reason: it is the council's list, not a consultation of reads) and
// changed by supervisors (anpr.watchlist): add, edit (category, reason,
// expiry; not the plate) and remove (with a reason). The server judges
// every value: its field errors show next to the fields, a 409 next to
// the plate.
//
// Data: GET /api/v1/anpr/reads, GET /api/v1/anpr/reads/{id}/crop|thumbnail,
// GET/POST /api/v1/anpr/watchlist, PUT/DELETE /api/v1/anpr/watchlist/{id},
// cameras from GET /api/v1/cameras.
//
// Hooks for tests: #anpr-tab-reads, #anpr-tab-watchlist [aria-selected],
// #anpr-reads, #anpr-watch (the two views). Reason: #anpr-reason-form,
// #anpr-reason-text, #anpr-reason-ref, #anpr-reason-ok, #anpr-reason-bar,
// #anpr-reason-change. Live: #anpr-live[data-state=off|loading|ok|error|
// paused|hidden][data-loads], #anpr-live-status, #anpr-live-pause[aria-
// pressed], #anpr-live-refresh, ul#anpr-live-list li.anpr-read[data-id]
// [data-plate][data-camera] with img.anpr-crop, .anpr-plate, .anpr-cam,
// time.anpr-time, .anpr-dir, .anpr-conf. Search: #anpr-search-form,
// #anpr-plate, #anpr-mode, #anpr-distance, #anpr-cameras input[name=camera],
// #anpr-from, #anpr-to, #anpr-search-reason, #anpr-search-ref,
// #anpr-search-go, .field-error[data-field], #anpr-search-error,
// #anpr-search-status, table#anpr-results[data-searches] tbody
// tr[data-id][data-plate][data-distance] with button.anpr-crop-btn,
// .anpr-distance, a[data-action=play], button[data-action=vehicle]; the
// picture dialog #anpr-picture (img#anpr-picture-img). Watch-list:
// #anpr-watch-new, #anpr-watch-refresh, #anpr-watch-readonly,
// #anpr-watch-status, table#anpr-watchlist tbody tr[data-id][data-plate]
// [data-category][data-expired] with [data-act=edit|delete]; the dialog
// #anpr-watch-dialog, form #anpr-watch-form with controls named plate,
// category, reason, expires, .field-error[data-field], #anpr-watch-error;
// the remove dialog #anpr-watch-delete, form #anpr-watch-delete-form,
// textarea[name=reason].
import { api, APIError, errorText, h, loadCSS } from '../api.js';
import { icon } from '../icons.js';
import { londonDateTime, londonTime, londonDate, toLondonInput, parseLondonDetail, rfc3339 } from '../lib/time.js';
import { modal } from '../lib/modal.js';

const LIVE_MS = 20000; // the live list's refresh: each one is a logged search
const LIVE_LIMIT = 40;
const SEARCH_LIMIT = 200;
const MODES = [['exact', 'Exact'], ['wildcard', 'Wildcard (* any, ? one)'], ['fuzzy', 'Fuzzy (look-alike characters)']];

// The categories store.WatchCategories accepts, with their names.
export const CATEGORIES = [['pspo', 'PSPO breach'], ['nuisance', 'Nuisance'], ['stolen', 'Stolen'], ['car-meet', 'Car meet'], ['other', 'Other']];
const categoryName = (c) => (CATEGORIES.find(([k]) => k === c) || [c, c])[1];

const DIRECTIONS = {
  'left-to-right': ['→', 'left to right'], 'right-to-left': ['←', 'right to left'], towards: ['↓', 'towards the camera'], away: ['↑', 'away from the camera'],
};

// The UK layouts (ukplate.Formats), as patterns of the normal form: the
// space goes between the two groups.
const LAYOUTS = [
  /^([A-Z]{2}[0-9]{2})([A-Z]{3})$/, // current: AB12 CDE
  /^([A-Z][1-9][0-9]{0,2})([A-Z]{3})$/, // prefix: A123 BCD
  /^([A-Z]{3})([1-9][0-9]{0,2}[A-Z])$/, // suffix: ABC 123D
  /^([A-Z]{1,3})([1-9][0-9]{0,3})$/, // dateless and Northern Ireland: ABC 1234
  /^([1-9][0-9]{0,3})([A-Z]{1,3})$/, // dateless: 1234 ABC
];

/** plateText writes a plate in normal form (AB12CDE) as on the plate (AB12 CDE). */
export function plateText(plate) {
  const p = String(plate || '').toUpperCase().replace(/[\s-]+/g, '');
  for (const re of LAYOUTS) {
    const m = re.exec(p);
    if (m) return m[1] + ' ' + m[2];
  }
  return p;
}

/** normalPlate is the normal form: upper case, no spaces or dashes. */
export function normalPlate(s) { return String(s || '').toUpperCase().replace(/[\s-]+/g, ''); }

/**
 * alertPlate finds the plate an ANPR alert is about: {plate (normal form),
 * read (what the camera read, when a near match read it otherwise), near},
 * or null (a car-meet alert is about several). The alert's "plate" says
 * it (the listed plate for a watch-list hit); only a near match's reading
 * is in the message alone: "Watch-listed AB12CDE (stolen: ...) seen on
 * cam1, near match: read A812 CDE, distance 0.2". Alerts stored before
 * "plate" existed are read from the message: "Watch-listed AB12CDE ...",
 * "AB12 CDE seen 3 times in ..." (repeat passes), "AB12 CDE entered area
 * ..." (dwell).
 */
export function alertPlate(a) {
  if (!a || a.kind !== 'anpr') return null;
  const msg = String(a.message || '');
  const near = /near match: read ([A-Z0-9 ]{1,14}), distance/.exec(msg);
  const out = (plate) => ({ plate: normalPlate(plate), read: near ? normalPlate(near[1]) : '', near: !!near });
  if (a.plate) return out(a.plate);
  const m = /^Watch-listed ([A-Z0-9]{1,10}) /.exec(msg) || /^([A-Z0-9]{1,7}(?: [A-Z0-9]{1,4})?) (?:seen|entered) /.exec(msg);
  return m ? out(m[1]) : null;
}

/** playbackLink is the playback page at a camera and time. */
export function playbackLink(camera, at) {
  return '#/playback?' + new URLSearchParams({ camera, at: rfc3339(new Date(at)) });
}

/** readsLink is this page searching a plate (fuzzy finds look-alike reads too). */
export function readsLink(plate, { mode = 'exact', from } = {}) {
  const q = new URLSearchParams({ plate: normalPlate(plate), mode });
  if (from) q.set('from', rfc3339(from));
  return '#/anpr?' + q;
}

const pct = (x) => Math.round(100 * Number(x || 0)) + '%';
const dist = (d) => (d === undefined || d === null ? '' : String(+Number(d).toFixed(2)));

export function mount(root, ctx) {
  loadCSS('/static/pages/anpr.css');
  const params = ctx.params || new URLSearchParams();
  const manage = ctx.can('anpr.watchlist');
  const mayPlay = ctx.can('footage.view') || ctx.can('footage.granted');
  const abort = new AbortController();
  const closers = new Set(); // open dialogs
  let alive = true;
  let view = params.get('view') === 'watchlist' ? 'watchlist' : 'reads';
  let cameras = []; // [{id, name}]
  const get = (path, signal = abort.signal) => api('GET', path, null, { signal });
  const camName = (id) => (cameras.find((c) => c.id === id) || {}).name || id;
  const camLabel = (id) => (camName(id) !== id ? `${camName(id)} (${id})` : id);

  // ---- layout ----
  const tab = (key, title) => h('button', {
    class: 'btn', type: 'button', role: 'tab', id: 'anpr-tab-' + key, 'aria-controls': key === 'reads' ? 'anpr-reads' : 'anpr-watch',
    onclick: () => show(key),
  }, title);
  const tabs = h('div', { class: 'anpr-tabs', role: 'tablist', 'aria-label': 'Views' }, tab('reads', 'Reads'), tab('watchlist', 'Watch-list'));
  const readsBox = h('div', { id: 'anpr-reads', role: 'tabpanel', 'aria-labelledby': 'anpr-tab-reads' });
  const watchBox = h('div', { id: 'anpr-watch', role: 'tabpanel', 'aria-labelledby': 'anpr-tab-watchlist' });
  root.append(h('section', { class: 'anpr-page' },
    h('div', { class: 'toolbar anpr-head' }, h('h1', {}, 'Number plates'), tabs),
    readsBox, watchBox));

  function show(v) {
    view = v;
    for (const b of tabs.children) {
      const on = b.id === 'anpr-tab-' + v;
      b.setAttribute('aria-selected', String(on));
      b.setAttribute('aria-pressed', String(on));
    }
    readsBox.hidden = v !== 'reads';
    watchBox.hidden = v !== 'watchlist';
    // The address keeps the search asked for, and says the view.
    const q = new URLSearchParams(location.hash.split('?')[1] || '');
    if (v === 'watchlist') q.set('view', 'watchlist'); else q.delete('view');
    history.replaceState(null, '', '#/anpr' + (q.toString() ? '?' + q : ''));
    if (v === 'watchlist') loadWatch();
    live.visibility();
  }

  // =====================================================================
  // Reads: the reason, the live list, the search.
  const reason = { text: '', ref: '' };

  const reasonText = h('textarea', { id: 'anpr-reason-text', rows: 2, maxlength: 500, required: true, 'aria-describedby': 'anpr-reason-err',
    placeholder: 'e.g. monitoring the High Street car-meet hotspot tonight' });
  const reasonRef = h('input', { id: 'anpr-reason-ref', maxlength: 64, autocomplete: 'off', placeholder: 'incident or crime number (optional)' });
  const reasonErr = h('p', { class: 'form-error', role: 'alert', id: 'anpr-reason-err' });
  const prefilled = params.get('plate') ? h('p', {}, 'You opened the reads of ', h('strong', { class: 'anpr-plate' }, plateText(params.get('plate'))), '.') : null;
  const reasonForm = h('form', { class: 'panel anpr-reason-form', id: 'anpr-reason-form', novalidate: true, 'aria-labelledby': 'anpr-reason-title' },
    h('h2', { id: 'anpr-reason-title' }, 'Why are you looking at plate reads?'),
    prefilled,
    h('p', {}, 'Number-plate reads are personal data. Every request for them — this page\'s live list of the latest reads, ',
      `refreshed every ${LIVE_MS / 1000} s while the page is in view, and every search — is logged in the evidence log with who you are, when, what was asked, and this reason.`),
    h('label', { class: 'field' }, h('span', {}, 'Reason'), reasonText),
    h('label', { class: 'field' }, h('span', {}, 'Reference'), reasonRef),
    reasonErr,
    h('div', { class: 'toolbar' }, h('button', { class: 'btn btn-primary', type: 'submit', id: 'anpr-reason-ok' }, 'Show reads')));
  const reasonBar = h('div', { class: 'anpr-reason-bar', id: 'anpr-reason-bar', hidden: true });
  const work = h('div', { class: 'anpr-work', hidden: true });
  readsBox.append(reasonForm, reasonBar, work);

  reasonForm.addEventListener('submit', (ev) => {
    ev.preventDefault();
    const r = reasonText.value.trim();
    if (!r) { reasonErr.textContent = 'A reason is required: every request for reads is logged.'; reasonText.focus(); return; }
    reasonErr.textContent = '';
    const first = !reason.text;
    reason.text = r;
    reason.ref = reasonRef.value.trim();
    reasonForm.hidden = true;
    work.hidden = false;
    drawReason();
    if (!search.reason.value.trim() || !first) search.reason.value = reason.text;
    if (!search.ref.value.trim() || !first) search.ref.value = reason.ref;
    live.start();
    if (first && params.get('plate')) search.run();
    else if (first) search.plate.focus();
  });

  function drawReason() {
    reasonBar.hidden = !reason.text;
    reasonBar.replaceChildren(
      icon('evidence'),
      h('span', {}, 'Logged as: ', h('q', {}, reason.text), reason.ref ? ` (ref ${reason.ref})` : ''),
      h('button', { class: 'btn btn-small', type: 'button', id: 'anpr-reason-change', onclick: () => {
        live.stop();
        reasonText.value = reason.text;
        reasonRef.value = reason.ref;
        reasonForm.hidden = false;
        work.hidden = true;
        reasonBar.hidden = true;
        reasonText.focus();
      } }, 'Change reason'));
  }

  const withReason = (q) => {
    q.set('reason', reason.text);
    if (reason.ref) q.set('ref', reason.ref);
    return q;
  };
  const pictureURL = (read, which, why) => `/api/v1/anpr/reads/${encodeURIComponent(read.id)}/${which}?` + new URLSearchParams({ reason: why || reason.text });

  // cropImage is a read's plate crop (logged as footage with the reason).
  function cropImage(read, why) {
    if (!read.crop) return h('span', { class: 'anpr-crop anpr-crop-none', title: 'No crop stored' }, '—');
    const img = h('img', { class: 'anpr-crop', alt: 'Plate ' + (read.text || plateText(read.plate)), loading: 'lazy', decoding: 'async', src: pictureURL(read, 'crop', why) });
    img.addEventListener('error', () => img.classList.add('anpr-crop-missing'), { once: true });
    return img;
  }

  const dirText = (d) => (DIRECTIONS[d] ? DIRECTIONS[d] : ['', d ? d : 'direction unknown']);

  // ---- the picture dialog: vehicle thumbnail and plate crop of a read ----
  function openPicture(read, why) {
    const titleID = 'anpr-picture-title';
    const img = read.thumbnail
      ? h('img', { id: 'anpr-picture-img', class: 'anpr-vehicle', alt: `Vehicle ${read.text || plateText(read.plate)} on ${camLabel(read.camera)} at ${londonTime(read.at)}`, src: pictureURL(read, 'thumbnail', why) })
      : h('p', { class: 'muted', id: 'anpr-picture-none' }, 'No vehicle picture was stored with this read.');
    const [arrow, dtext] = dirText(read.direction);
    const closeBtn = h('button', { class: 'btn btn-ghost btn-small', type: 'button', 'aria-label': 'Close', onclick: () => close() }, icon('close'));
    const box = h('div', { class: 'modal', id: 'anpr-picture', role: 'dialog', 'aria-modal': 'true', 'aria-labelledby': titleID },
      h('div', { class: 'modal-box anpr-picture-box' },
        h('div', { class: 'anpr-picture-head' }, h('h2', { id: titleID }, h('span', { class: 'anpr-plate' }, read.text || plateText(read.plate))), closeBtn),
        img,
        h('div', { class: 'anpr-picture-meta' },
          cropImage(read, why),
          h('dl', {},
            h('dt', {}, 'Camera'), h('dd', {}, camLabel(read.camera)),
            h('dt', {}, 'Time'), h('dd', {}, londonDateTime(read.at)),
            h('dt', {}, 'Direction'), h('dd', {}, arrow ? `${arrow} ${dtext}` : dtext),
            h('dt', {}, 'Confidence'), h('dd', {}, pct(read.confidence)),
            read.distance !== undefined ? [h('dt', {}, 'Distance'), h('dd', {}, dist(read.distance))] : null)),
        h('div', { class: 'toolbar' },
          mayPlay ? h('a', { class: 'btn btn-primary', href: playbackLink(read.camera, read.first || read.at), data: { action: 'play' }, onclick: () => close() }, icon('play'), 'Play this passage') : null,
          h('button', { class: 'btn', type: 'button', onclick: () => close() }, 'Close'))));
    const before = document.activeElement;
    let open = true;
    function close() {
      if (!open) return;
      open = false;
      closers.delete(close);
      document.removeEventListener('keydown', onKey, true);
      box.remove();
      if (before && before.focus && document.contains(before)) before.focus({ preventScroll: true });
    }
    function onKey(e) { if (e.key === 'Escape') { e.stopPropagation(); close(); } }
    box.addEventListener('mousedown', (e) => { if (e.target === box) close(); });
    document.addEventListener('keydown', onKey, true);
    document.body.append(box);
    closers.add(close);
    closeBtn.focus();
  }

  // ---- the live list ----
  const live = (() => {
    // Not a live region: a screen reader would be told every 20 s.
    const status = h('p', { class: 'muted anpr-live-status', id: 'anpr-live-status' });
    const list = h('ul', { class: 'anpr-live-list', id: 'anpr-live-list', 'aria-label': 'Latest reads, newest first' });
    const pauseBtn = h('button', { class: 'btn btn-small', type: 'button', id: 'anpr-live-pause', 'aria-pressed': 'false', onclick: () => toggle() }, icon('pause'), 'Pause');
    const refreshBtn = h('button', { class: 'btn btn-small', type: 'button', id: 'anpr-live-refresh', onclick: () => load() }, icon('refresh'), 'Refresh');
    const panel = h('section', { class: 'panel anpr-live', id: 'anpr-live', 'aria-labelledby': 'anpr-live-title', data: { state: 'off', loads: '0' } },
      h('div', { class: 'toolbar' }, h('h2', { id: 'anpr-live-title' }, 'Latest reads'), h('span', { class: 'spacer' }), pauseBtn, refreshBtn),
      h('p', { class: 'anpr-logged' }, icon('evidence'), ` Live: asked again every ${LIVE_MS / 1000} s while this page is in view; each time is logged as a search with your reason.`),
      status, list);
    const items = new Map(); // read id → li (kept, so its crop is not fetched again)
    let timer = null;
    let running = false;
    let paused = false;
    let busy = null;
    let last = 0;
    let loads = 0;

    function state(s) { panel.dataset.state = s; }

    function schedule() {
      clearTimeout(timer);
      timer = null;
      if (!alive || !running || paused) return;
      if (document.visibilityState !== 'visible' || view !== 'reads') { state('hidden'); return; }
      timer = setTimeout(load, Math.max(0, LIVE_MS - (Date.now() - last)));
    }

    async function load() {
      if (!alive || !running) return;
      clearTimeout(timer);
      if (busy) busy.abort();
      const ac = new AbortController();
      busy = ac;
      last = Date.now();
      state('loading');
      refreshBtn.disabled = true;
      try {
        const res = await get('/api/v1/anpr/reads?' + withReason(new URLSearchParams({ limit: String(LIVE_LIMIT) })), ac.signal);
        if (!alive || busy !== ac) return;
        draw(res.reads || []);
        loads++;
        panel.dataset.loads = String(loads);
        state(paused ? 'paused' : 'ok');
        const n = (res.reads || []).length;
        status.className = 'muted anpr-live-status';
        status.textContent = `${n ? `The ${n} latest ${n === 1 ? 'read' : 'reads'}` : 'No reads'} of the last 24 hours; checked at ${londonTime(new Date())}${paused ? ' (paused)' : ''}.`;
      } catch (e) {
        if (!alive || busy !== ac || e.name === 'AbortError') return;
        state('error');
        status.className = 'form-error anpr-live-status';
        status.textContent = 'Cannot load the latest reads: ' + errorText(e);
      } finally {
        if (busy === ac) { busy = null; refreshBtn.disabled = false; schedule(); }
      }
    }

    function item(r) {
      const [arrow, dtext] = dirText(r.direction);
      const text = r.text || plateText(r.plate);
      return h('li', { class: 'anpr-read', data: { id: String(r.id), plate: r.plate, camera: r.camera } },
        h('button', { class: 'anpr-crop-btn', type: 'button', title: 'Show the vehicle', 'aria-label': `Show the vehicle of ${text}, ${camLabel(r.camera)} at ${londonTime(r.at)}`, onclick: () => openPicture(r) }, cropImage(r)),
        h('div', { class: 'anpr-read-body' },
          h('div', { class: 'anpr-read-top' },
            h('strong', { class: 'anpr-plate' }, text),
            h('span', { class: 'spacer' }),
            h('span', { class: 'anpr-conf', title: 'Confidence of the read' }, pct(r.confidence))),
          h('div', { class: 'anpr-read-meta' },
            h('span', { class: 'anpr-cam', title: r.camera }, camName(r.camera)),
            h('time', { class: 'anpr-time mono', datetime: r.at, title: londonDateTime(r.at) }, londonTime(r.at)),
            h('span', { class: 'anpr-dir', title: dtext }, arrow || '·', h('span', { class: 'sr-only' }, ' ' + dtext))),
          mayPlay ? h('a', { class: 'anpr-play', href: playbackLink(r.camera, r.first || r.at), data: { action: 'play' }, 'aria-label': `Play ${text} on ${camLabel(r.camera)} at ${londonTime(r.at)}` }, icon('play'), 'Play') : null));
    }

    function draw(reads) {
      const seen = new Set();
      const out = [];
      const firstDraw = items.size === 0;
      for (const r of reads) {
        seen.add(r.id);
        let li = items.get(r.id);
        if (!li) {
          li = item(r);
          if (!firstDraw) li.classList.add('anpr-new');
          items.set(r.id, li);
        } else {
          li.classList.remove('anpr-new');
        }
        out.push(li);
      }
      for (const id of [...items.keys()]) if (!seen.has(id)) items.delete(id);
      list.replaceChildren(...(out.length ? out : [h('li', { class: 'anpr-empty muted', id: 'anpr-live-empty' }, 'No plates read in the last 24 hours.')]));
    }

    function toggle() {
      paused = !paused;
      pauseBtn.setAttribute('aria-pressed', String(paused));
      pauseBtn.replaceChildren(icon(paused ? 'play' : 'pause'), paused ? 'Resume' : 'Pause');
      state(paused ? 'paused' : 'ok');
      if (!paused) load(); else { clearTimeout(timer); }
    }

    return {
      panel,
      start() { running = true; load(); },
      stop() { running = false; clearTimeout(timer); if (busy) busy.abort(); busy = null; state('off'); },
      // visibility: the page or the view came into or out of view.
      visibility() {
        if (!running || paused) return;
        if (document.visibilityState === 'visible' && view === 'reads') {
          if (busy) return;
          state('ok');
          if (Date.now() - last >= LIVE_MS) load(); else schedule();
        } else {
          clearTimeout(timer);
          state('hidden');
        }
      },
      refresh: load,
    };
  })();
  const onVisibility = () => live.visibility();
  document.addEventListener('visibilitychange', onVisibility);

  // ---- the search ----
  const search = (() => {
    const errs = {};
    const controls = {};
    const field = (label, f, input, { hint = null, cls = '' } = {}) => {
      controls[f] = input;
      errs[f] = h('span', { class: 'form-error field-error', id: 'anpr-err-' + f, data: { field: f } });
      input.setAttribute('aria-describedby', 'anpr-err-' + f);
      return h('label', { class: `field ${cls}`.trim(), data: { field: f } }, h('span', {}, label), input, hint, errs[f]);
    };
    const plate = h('input', { id: 'anpr-plate', name: 'plate', autocomplete: 'off', spellcheck: 'false', maxlength: '14', placeholder: 'AB12 CDE, AB12*, *CDE', class: 'anpr-plate-input' });
    plate.value = params.get('plate') || '';
    const mode = h('select', { id: 'anpr-mode', name: 'mode' }, MODES.map(([v, t]) => h('option', { value: v }, t)));
    mode.value = MODES.some(([v]) => v === params.get('mode')) ? params.get('mode') : (/[*?]/.test(plate.value) ? 'wildcard' : 'exact');
    const distance = h('input', { id: 'anpr-distance', name: 'distance', type: 'number', min: '0', max: '3', step: '0.1', value: params.get('distance') || '1', inputmode: 'decimal' });
    const from = h('input', { id: 'anpr-from', name: 'from', type: 'datetime-local', step: '1' });
    const to = h('input', { id: 'anpr-to', name: 'to', type: 'datetime-local', step: '1' });
    const timeOf = (v) => { const d = v ? new Date(v) : null; return d && !isNaN(d) ? toLondonInput(d) : ''; };
    from.value = timeOf(params.get('from'));
    to.value = timeOf(params.get('to'));
    const timeNote = h('span', { class: 'anpr-note', id: 'anpr-time-note' });
    const why = h('input', { id: 'anpr-search-reason', name: 'reason', maxlength: '500', autocomplete: 'off' });
    const ref = h('input', { id: 'anpr-search-ref', name: 'ref', maxlength: '64', autocomplete: 'off', placeholder: 'optional' });
    const camBox = h('div', { class: 'anpr-cam-list', id: 'anpr-cameras', role: 'group', 'aria-label': 'Cameras' });
    const camFilter = h('input', { type: 'search', class: 'anpr-cam-filter', placeholder: 'Filter cameras', 'aria-label': 'Filter cameras' });
    const camSummary = h('span', { id: 'anpr-cam-summary' }, 'All cameras');
    const camPick = h('details', { class: 'anpr-cam-pick' }, h('summary', {}, 'Cameras: ', camSummary), camFilter, camBox);
    const wanted = new Set(params.getAll('camera'));
    const go = h('button', { class: 'btn btn-primary', type: 'submit', id: 'anpr-search-go' }, icon('search'), 'Search');
    const general = h('p', { class: 'form-error', role: 'alert', id: 'anpr-search-error' });
    const status = h('p', { class: 'muted', id: 'anpr-search-status', role: 'status' });
    const distField = field('Up to distance', 'distance', distance, { hint: h('small', { class: 'muted' }, 'look-alikes (0/O, 8/B) 0.2–0.6, another character 1') });
    const thead = h('thead');
    const tbody = h('tbody');
    const table = h('table', { class: 'data anpr-results', id: 'anpr-results', data: { searches: '0' } }, thead, tbody);
    let searches = 0;
    let inflight = null;

    const form = h('form', { class: 'anpr-search-form', id: 'anpr-search-form', novalidate: true, 'aria-label': 'Search reads' },
      h('div', { class: 'anpr-search-grid' },
        field('Plate', 'plate', plate),
        field('Match', 'mode', mode),
        distField,
        field('From (London)', 'from', from),
        field('To (London)', 'to', to),
        h('div', { class: 'field anpr-cams-field', data: { field: 'camera' } }, h('span', {}, 'Where'), camPick)),
      timeNote,
      h('div', { class: 'anpr-search-grid anpr-search-why' },
        field('Reason for this search', 'reason', why, { cls: 'anpr-why' }),
        field('Reference', 'ref', ref)),
      general,
      h('div', { class: 'toolbar' }, go, h('span', { class: 'muted' }, 'Empty plate: every read. Empty times: the last 24 hours. Each search is logged with its reason.')));
    const panel = h('section', { class: 'panel anpr-search', 'aria-labelledby': 'anpr-search-title' },
      h('h2', { id: 'anpr-search-title' }, 'Search reads'), form, status, h('div', { class: 'anpr-results-wrap' }, table));

    const showDistance = () => { distField.hidden = mode.value !== 'fuzzy'; };
    mode.addEventListener('change', showDistance);
    plate.addEventListener('input', () => { if (/[*?]/.test(plate.value) && mode.value === 'exact') { mode.value = 'wildcard'; showDistance(); } });
    showDistance();
    camFilter.addEventListener('input', () => {
      const f = camFilter.value.trim().toLowerCase();
      for (const l of camBox.children) l.hidden = !!f && !l.textContent.toLowerCase().includes(f);
    });
    camBox.addEventListener('change', () => {
      const n = picked().length;
      camSummary.textContent = n ? `${n} ${n === 1 ? 'camera' : 'cameras'}` : 'All cameras';
    });
    const picked = () => [...camBox.querySelectorAll('input[name=camera]:checked')].map((i) => i.value);

    function fillCameras() {
      const ids = new Set([...cameras.map((c) => c.id), ...wanted]);
      camBox.replaceChildren(...[...ids].map((id) => h('label', { class: 'field-inline anpr-cam-item' },
        h('input', { type: 'checkbox', name: 'camera', value: id, checked: wanted.has(id) }), h('span', {}, camLabel(id)))));
      if (!ids.size) camBox.append(h('span', { class: 'muted' }, 'Every camera in your scope.'));
      camBox.dispatchEvent(new Event('change'));
    }

    function clear() {
      general.textContent = '';
      for (const [f, e] of Object.entries(errs)) { e.textContent = ''; controls[f].removeAttribute('aria-invalid'); }
    }
    function showErr(f, msg) {
      if (!errs[f]) return false;
      errs[f].textContent = errs[f].textContent ? errs[f].textContent + '; ' + msg : msg;
      controls[f].setAttribute('aria-invalid', 'true');
      return true;
    }
    function focusBad() {
      const bad = Object.values(controls).find((c) => c.getAttribute('aria-invalid') === 'true');
      if (bad) bad.focus();
    }
    const readTime = (input) => {
      if (!input.value) return { ok: true, date: null };
      const r = parseLondonDetail(input.value);
      if (r && r.note) timeNote.textContent = r.note;
      return r ? { ok: true, date: r.date } : { ok: false };
    };

    async function run() {
      clear();
      timeNote.textContent = '';
      const q = new URLSearchParams({ limit: String(SEARCH_LIMIT) });
      const p = plate.value.trim();
      if (p) q.set('plate', p);
      q.set('mode', mode.value);
      if (mode.value === 'fuzzy' && distance.value.trim() !== '') q.set('distance', distance.value.trim());
      for (const c of picked()) q.append('camera', c);
      const f = readTime(from);
      const t = readTime(to);
      let local = false;
      if (!f.ok) local = showErr('from', 'give a date and time');
      if (!t.ok) local = showErr('to', 'give a date and time') || local;
      if (f.date) q.set('from', rfc3339(f.date));
      if (t.date) q.set('to', rfc3339(t.date));
      const r = why.value.trim();
      if (!r) local = showErr('reason', 'say why you are searching: every search is logged') || local;
      if (local) { focusBad(); return; }
      q.set('reason', r);
      if (ref.value.trim()) q.set('ref', ref.value.trim());
      if (inflight) inflight.abort();
      const ac = new AbortController();
      inflight = ac;
      go.disabled = true;
      status.className = 'muted';
      status.textContent = 'Searching…';
      try {
        const res = await get('/api/v1/anpr/reads?' + q, ac.signal);
        if (!alive || inflight !== ac) return;
        draw(res, { plate: p, mode: mode.value, reason: r, cams: picked() });
      } catch (e) {
        if (!alive || inflight !== ac || e.name === 'AbortError') return;
        status.textContent = '';
        const fields = e instanceof APIError && e.body && Array.isArray(e.body.fields) ? e.body.fields : [];
        if (fields.length) {
          const rest = fields.filter((x) => !showErr(x.field, x.message));
          general.textContent = rest.length ? rest.map((x) => `${x.field}: ${x.message}`).join('; ') : 'Check the fields marked.';
          focusBad();
        } else if (e instanceof APIError && e.status === 400 && /^(reason|ref):/.test(e.message)) {
          showErr(e.message.startsWith('ref:') ? 'ref' : 'reason', e.message.replace(/^\w+: /, ''));
          focusBad();
        } else {
          general.textContent = 'The search failed: ' + errorText(e);
        }
      } finally {
        if (inflight === ac) { inflight = null; go.disabled = false; }
      }
    }

    function draw(res, asked) {
      const reads = res.reads || [];
      const fuzzy = asked.mode === 'fuzzy';
      searches++;
      table.dataset.searches = String(searches);
      table.dataset.mode = asked.mode;
      const what = asked.plate ? `“${asked.plate.toUpperCase()}” (${asked.mode})` : 'every plate';
      const where = asked.cams.length ? asked.cams.map(camName).join(', ') : 'every camera';
      status.className = 'muted';
      status.textContent = `${reads.length === SEARCH_LIMIT ? `The first ${reads.length}` : reads.length} ${reads.length === 1 ? 'read' : 'reads'} of ${what} on ${where}, `
        + `${londonDateTime(res.from)} to ${londonDateTime(res.to)}${fuzzy ? ', nearest first' : ', newest first'}. Logged with the reason “${asked.reason}”.`;
      const cols = ['Crop', 'Plate', 'Camera', 'Time (London)', 'Direction', 'Confidence', fuzzy ? 'Distance' : null, ''].filter((x) => x !== null);
      thead.replaceChildren(h('tr', {}, cols.map((c) => h('th', { class: c === 'Confidence' || c === 'Distance' ? 'num' : null }, c))));
      tbody.replaceChildren(...reads.map((r) => {
        const [arrow, dtext] = dirText(r.direction);
        const text = r.text || plateText(r.plate);
        return h('tr', { data: { id: String(r.id), plate: r.plate, camera: r.camera, distance: fuzzy ? dist(r.distance) : '' } },
          h('td', {}, h('button', { class: 'anpr-crop-btn', type: 'button', 'aria-label': `Show the vehicle of ${text}`, title: 'Show the vehicle', onclick: () => openPicture(r, asked.reason) }, cropImage(r, asked.reason))),
          h('td', {}, h('strong', { class: 'anpr-plate' }, text)),
          h('td', { title: r.camera }, camName(r.camera)),
          h('td', { class: 'anpr-when' }, h('time', { datetime: r.at, title: londonDateTime(r.at) }, h('span', { class: 'mono' }, londonTime(r.at)), h('br'), h('small', { class: 'muted' }, londonDate(r.at)))),
          h('td', { class: 'anpr-dir-cell' }, arrow ? `${arrow} ${dtext}` : dtext),
          h('td', { class: 'num' }, pct(r.confidence)),
          fuzzy ? h('td', { class: 'num anpr-distance' }, dist(r.distance)) : null,
          h('td', { class: 'anpr-actions' },
            h('button', { class: 'btn btn-small', type: 'button', data: { action: 'vehicle' }, onclick: () => openPicture(r, asked.reason) }, 'Vehicle'),
            mayPlay ? h('a', { class: 'btn btn-small', href: playbackLink(r.camera, r.first || r.at), data: { action: 'play' }, title: 'Play this passage', 'aria-label': `Play ${text} at ${londonTime(r.at)}` }, icon('play')) : null));
      }));
      if (!reads.length) tbody.append(h('tr', { class: 'anpr-none' }, h('td', { colspan: String(cols.length), class: 'muted' }, 'No reads match.')));
    }

    form.addEventListener('submit', (e) => { e.preventDefault(); run(); });
    return { panel, run, fillCameras, plate, reason: why, ref };
  })();

  work.append(h('div', { class: 'anpr-columns' }, live.panel, search.panel));

  // =====================================================================
  // The watch-list.
  const watchStatus = h('p', { class: 'muted', id: 'anpr-watch-status', role: 'status' });
  const watchTable = h('div', { class: 'anpr-watch-wrap' });
  watchBox.append(h('section', { class: 'panel', 'aria-labelledby': 'anpr-watch-title' },
    h('div', { class: 'toolbar' }, h('h2', { id: 'anpr-watch-title' }, 'Watch-list'), h('span', { class: 'spacer' }),
      h('button', { class: 'btn', type: 'button', id: 'anpr-watch-refresh', onclick: () => loadWatch() }, icon('refresh'), 'Refresh'),
      manage ? h('button', { class: 'btn btn-primary', type: 'button', id: 'anpr-watch-new', onclick: () => editWatch(null) }, icon('plus'), 'Add a vehicle') : null),
    h('p', { class: 'muted' }, 'A read of a listed plate, or of one a reader could confuse with it (0/O, 8/B…), raises an alert on the wall until the listing expires. ',
      'Expired listings stay here, marked, until they are removed.'),
    manage ? null : h('p', { class: 'muted', id: 'anpr-watch-readonly' }, 'Supervisors add and remove vehicles; the list is here so you know why an alert was raised.'),
    watchStatus, watchTable));
  let watches = [];
  let watchSeq = 0;

  async function loadWatch() {
    const seq = ++watchSeq;
    watchStatus.className = 'muted';
    watchStatus.textContent = 'Loading…';
    try {
      const res = await get('/api/v1/anpr/watchlist');
      if (!alive || seq !== watchSeq) return;
      watches = res.watchlist || [];
      drawWatch();
      const expired = watches.filter((w) => w.expired).length;
      watchStatus.textContent = watches.length ? `${watches.length} ${watches.length === 1 ? 'vehicle' : 'vehicles'} listed${expired ? `, ${expired} expired` : ''}.` : '';
    } catch (e) {
      if (!alive || e.name === 'AbortError' || seq !== watchSeq) return;
      watchStatus.className = 'form-error';
      watchStatus.textContent = 'Cannot load the watch-list: ' + errorText(e);
    }
  }

  function drawWatch() {
    const rows = watches.map((w) => h('tr', { class: w.expired ? 'anpr-expired' : '', data: { id: String(w.id), plate: w.plate, category: w.category, expired: String(!!w.expired) } },
      h('td', {}, h('strong', { class: 'anpr-plate' }, plateText(w.plate))),
      h('td', {}, h('span', { class: `badge anpr-cat anpr-cat-${w.category}` }, categoryName(w.category))),
      h('td', { class: 'anpr-watch-reason' }, w.reason),
      h('td', {}, w.added_by, h('br'), h('span', { class: 'muted' }, londonDateTime(w.added))),
      h('td', { class: 'anpr-expires' }, londonDateTime(w.expires), w.expired ? [' ', h('span', { class: 'badge badge-offline' }, 'expired')] : null),
      h('td', { class: 'anpr-actions' },
        h('a', { class: 'btn btn-small', href: readsLink(w.plate, { mode: 'fuzzy' }), data: { act: 'reads' } }, icon('search'), 'Reads'),
        manage ? h('button', { class: 'btn btn-small', type: 'button', data: { act: 'edit' }, onclick: () => editWatch(w) }, 'Edit') : null,
        manage ? h('button', { class: 'btn btn-small btn-danger', type: 'button', data: { act: 'delete' }, onclick: () => removeWatch(w) }, 'Remove') : null)));
    if (!rows.length) rows.push(h('tr', { class: 'anpr-none' }, h('td', { colspan: '6', class: 'muted' }, 'No vehicles are listed. ', manage ? 'Add one with Add a vehicle.' : '')));
    watchTable.replaceChildren(h('table', { class: 'data anpr-watchlist', id: 'anpr-watchlist' },
      h('thead', {}, h('tr', {}, ['Plate', 'Category', 'Why listed', 'Added by', 'Expires (London)', ''].map((t) => h('th', {}, t)))),
      h('tbody', {}, rows)));
  }

  function editWatch(w) {
    const isNew = !w;
    const errs = {};
    const controls = {};
    const field = (label, f, input, hint = null) => {
      controls[f] = input;
      errs[f] = h('span', { class: 'form-error field-error', id: 'anpr-watch-err-' + f, data: { field: f } });
      input.setAttribute('aria-describedby', 'anpr-watch-err-' + f);
      return h('label', { class: 'field', data: { field: f } }, h('span', {}, label), input, hint, errs[f]);
    };
    const plate = h('input', { name: 'plate', autocomplete: 'off', spellcheck: 'false', maxlength: '14', placeholder: 'AB12 CDE', class: 'anpr-plate-input', disabled: !isNew });
    plate.value = isNew ? '' : plateText(w.plate);
    const category = h('select', { name: 'category' }, CATEGORIES.map(([v, t]) => h('option', { value: v }, t)));
    category.value = isNew ? 'nuisance' : w.category;
    const why = h('textarea', { name: 'reason', rows: 3, maxlength: '500', placeholder: 'e.g. PSPO breach reported by the police, ref 01/12345/26' });
    why.value = isNew ? '' : w.reason;
    const expires = h('input', { name: 'expires', type: 'datetime-local', step: '1' });
    expires.value = isNew ? '' : toLondonInput(w.expires);
    // A listing lasts at most a year from when it was first listed.
    const expNote = h('small', { class: 'muted' }, isNew ? 'Empty: 90 days from now. At most a year.'
      : `At most a year after it was listed: ${londonDate(new Date(Date.parse(w.added) + 366 * 86400e3))}. Empty: 90 days from now.`);
    const body = [
      field('Plate', 'plate', plate, isNew ? h('small', { class: 'muted' }, 'Any spacing. It cannot be changed once listed.') : null),
      h('div', { class: 'form-grid' }, field('Category', 'category', category), field('Expires (London)', 'expires', expires, expNote)),
      field('Why it is listed', 'reason', why),
    ];
    function clear() { for (const [f, e] of Object.entries(errs)) { e.textContent = ''; controls[f].removeAttribute('aria-invalid'); } }
    function showErr(f, msg) {
      if (!errs[f]) return false;
      errs[f].textContent = errs[f].textContent ? errs[f].textContent + '; ' + msg : msg;
      controls[f].setAttribute('aria-invalid', 'true');
      return true;
    }
    const focusBad = () => { const b = ['plate', 'category', 'expires', 'reason'].map((f) => controls[f]).find((c) => c.getAttribute('aria-invalid') === 'true'); if (b) b.focus(); };
    const close = modal(isNew ? 'Add a vehicle to the watch-list' : `Edit the listing of ${plateText(w.plate)}`, body, {
      id: 'anpr-watch-dialog', formID: 'anpr-watch-form', errorID: 'anpr-watch-error', novalidate: true, formClass: 'anpr-watch-form',
      submit: isNew ? 'Add to watch-list' : 'Save',
      onSubmit: async (form, general) => {
        clear();
        const input = { plate: isNew ? plate.value.trim() : w.plate, category: category.value, reason: why.value.trim() };
        if (expires.value) {
          const r = parseLondonDetail(expires.value);
          if (!r) { showErr('expires', 'give a date and time'); focusBad(); return false; }
          input.expires = rfc3339(r.date);
          if (r.note) expNote.textContent = r.note;
        }
        let saved;
        try {
          saved = isNew ? await api('POST', '/api/v1/anpr/watchlist', input) : await api('PUT', `/api/v1/anpr/watchlist/${w.id}`, input);
        } catch (e) {
          if (!(e instanceof APIError)) throw e;
          if (e.status === 409) {
            showErr('plate', `${plateText(input.plate)} is already on the watch-list: edit that listing instead.`);
            focusBad();
            return false;
          }
          if (e.status === 404 && !isNew) throw new Error('This listing was removed meanwhile. Cancel, and add the vehicle again if it is still wanted.');
          const fields = Array.isArray(e.body && e.body.fields) ? e.body.fields : [];
          if (!fields.length) throw e;
          const rest = fields.filter((x) => !showErr(x.field, x.message));
          general.textContent = rest.length ? rest.map((x) => `${x.field}: ${x.message}`).join('; ') : 'Check the fields marked.';
          focusBad();
          return false;
        }
        closers.delete(close);
        ctx.toast(`${plateText(saved.plate)} ${isNew ? 'added to' : 'saved on'} the watch-list`, 'ok');
        loadWatch();
        return true;
      },
    });
    closers.add(close);
  }

  function removeWatch(w) {
    const why = h('textarea', { name: 'reason', rows: 2, maxlength: '500', placeholder: 'e.g. vehicle recovered; PSPO expired', 'aria-describedby': 'anpr-watch-delete-note' });
    const close = modal(`Remove ${plateText(w.plate)} from the watch-list?`, [
      h('p', {}, `${categoryName(w.category)}: ${w.reason}`),
      h('label', { class: 'field' }, h('span', {}, 'Why it is removed'), why),
      h('p', { class: 'muted', id: 'anpr-watch-delete-note' }, 'Its reads raise no more alerts. The removal is logged with this reason.'),
    ], {
      id: 'anpr-watch-delete', formID: 'anpr-watch-delete-form', errorID: 'anpr-watch-delete-error', novalidate: true, submit: 'Remove', danger: true,
      onSubmit: async (form, err) => {
        const r = why.value.trim();
        if (!r) { err.textContent = 'Say why the vehicle is removed: the removal is logged.'; why.focus(); return false; }
        try {
          await api('DELETE', `/api/v1/anpr/watchlist/${w.id}?` + new URLSearchParams({ reason: r }));
        } catch (e) {
          if (!(e instanceof APIError && e.status === 404)) throw e; // gone already: the list says so
        }
        closers.delete(close);
        ctx.toast(`${plateText(w.plate)} removed from the watch-list`, 'ok');
        loadWatch();
        return true;
      },
    });
    closers.add(close);
  }

  // ---- start ----
  show(view);
  (async () => {
    if (!ctx.can('cameras.read')) { search.fillCameras(); return; }
    try {
      const r = await get('/api/v1/cameras');
      cameras = (r.cameras || []).map((c) => ({ id: c.id, name: c.name || c.id })).sort((a, b) => a.id.localeCompare(b.id));
    } catch (e) {
      if (e.name === 'AbortError') return;
    }
    if (alive) search.fillCameras();
  })();
  // The shell focuses the page after mount: the reason comes first.
  if (view === 'reads') setTimeout(() => { if (alive && !reasonForm.hidden) reasonText.focus(); }, 0);

  return () => {
    alive = false;
    live.stop();
    abort.abort();
    document.removeEventListener('visibilitychange', onVisibility);
    for (const c of [...closers]) c();
    closers.clear();
  };
}
