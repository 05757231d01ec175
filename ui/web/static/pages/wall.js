// The video wall: a grid of live cameras (1x1 to 5x5), cameras picked by
// search and dragged (or, from the keyboard, assigned) onto tiles, main
// stream for a single or maximised tile and sub streams in dense grids,
// saved walls per user, tours, full screen.
//
// Keys (when not typing in a field): 1-9 select a tile, arrows step the
// tour (or move the selection), f full screen, m or Enter maximise the
// selected tile, Escape back to the grid, Delete clears the tile.
//
// Privacy masks (lib/masks.js) cover each tile's picture; operators with
// alerts.ack get the alerts panel (lib/alerts-panel.js) above the cameras.
// A steerable dome's tile has PTZ controls (lib/ptz.js) for people with
// cameras.ptz: its button on the tile, or p for the selected tile.
//
// Hooks for tests: .wall-grid[data-layout], .tile[data-index][data-camera]
// [data-state][data-stream] video, #cam-list .cam-item[data-camera].
import { api, errorText, h, loadCSS } from '../api.js';
import { icon } from '../icons.js';
import { LivePlayer } from '../live.js';
import { londonTime } from '../lib/time.js';
import { attachMasks } from '../lib/masks.js';
import { AlertsPanel } from '../lib/alerts-panel.js';
import { PTZControls } from '../lib/ptz.js';

const LAYOUTS = ['1x1', '2x2', '3x3', '4x4', '5x5'];
const STATE_TEXT = {
  connecting: 'Connecting…', reconnecting: 'Reconnecting…', offline: 'Offline', idle: '', stopped: '', playing: '',
};
const CAMERA_MIME = 'application/x-vigil-camera';
const TILE_MIME = 'application/x-vigil-tile';

export function mount(root, ctx) {
  loadCSS('/static/pages/alerts.css');
  const me = ctx.me;
  const storeKey = 'vigil.wall.' + me.username;
  let cams = [];
  const byId = new Map();
  let layout = '2x2';
  let tiles = []; // {index, camera, el, video, player, overlay, label, ptz}
  let selected = 0;
  let maxed = -1;
  let walls = [];
  let wallId = null;
  const tour = { cams: [], seconds: 10, running: false, pos: -1, tile: 0, timer: null };
  const timers = [];
  const abort = new AbortController();
  let alive = true;
  let ready = false; // the wall as started is in place: remember changes from now on

  // ---- layout of the page ----
  const grid = h('div', { class: 'wall-grid', id: 'wall-grid', role: 'region', 'aria-label': 'Video wall' });
  const layoutBtns = LAYOUTS.map((l) => h('button', {
    class: 'btn btn-small', type: 'button', data: { layout: l }, 'aria-pressed': 'false', title: `Layout ${l}`,
    onclick: () => setLayout(l),
  }, l === '1x1' ? '1' : l));
  const wallSelect = h('select', { id: 'wall-saved', 'aria-label': 'Saved walls', onchange: () => loadWall(wallSelect.value) });
  const wallName = h('input', { id: 'wall-name', placeholder: 'Wall name', maxlength: '100', size: '14', 'aria-label': 'Wall name' });
  const fsBtn = h('button', { class: 'btn btn-small', type: 'button', id: 'wall-fullscreen', title: 'Full screen (f)', onclick: fullscreen }, icon('fullscreen'), 'Full screen');
  const bar = h('div', { class: 'wall-bar' },
    h('span', { class: 'muted' }, 'Layout'), layoutBtns,
    h('span', { class: 'spacer' }),
    wallSelect, wallName,
    h('button', { class: 'btn btn-small', type: 'button', id: 'wall-save', onclick: () => saveWall(false) }, icon('save'), 'Save'),
    h('button', { class: 'btn btn-small', type: 'button', id: 'wall-save-as', onclick: () => saveWall(true) }, 'Save as new'),
    h('button', { class: 'btn btn-small btn-danger', type: 'button', id: 'wall-delete', onclick: deleteWall }, icon('trash')),
    fsBtn);
  const main = h('div', { class: 'wall-main' }, bar, grid);

  const search = h('input', { type: 'search', id: 'cam-search', placeholder: 'Search name, ward, status, kind', 'aria-label': 'Search cameras' });
  const wardSel = h('select', { id: 'cam-ward', 'aria-label': 'Ward' });
  const statusSel = h('select', { id: 'cam-status', 'aria-label': 'Status' },
    ['', 'online', 'offline', 'connecting', 'disabled'].map((s) => h('option', { value: s }, s || 'Status')));
  const kindSel = h('select', { id: 'cam-kind', 'aria-label': 'Kind' },
    ['', 'fixed', 'mobile'].map((s) => h('option', { value: s }, s || 'Kind')));
  const list = h('ul', { class: 'cam-list', id: 'cam-list', 'aria-label': 'Cameras: Enter puts one on the selected tile' });
  const tourList = h('ul', { class: 'tour-list', id: 'tour-list' });
  const tourSecs = h('input', { type: 'number', id: 'tour-seconds', min: '3', max: '600', value: '10', size: '4', 'aria-label': 'Seconds per camera' });
  const tourBtn = h('button', { class: 'btn btn-small', type: 'button', id: 'tour-toggle', onclick: toggleTour }, icon('tour'), 'Start tour');
  const alertsBox = ctx.can('alerts.ack') ? h('section', {}) : null;
  const side = h('aside', { class: 'wall-side', 'aria-label': 'Cameras' },
    alertsBox,
    search, h('div', { class: 'wall-filters' }, wardSel, statusSel, kindSel), list,
    h('div', { class: 'tour-box' },
      h('div', { class: 'toolbar' }, h('strong', {}, 'Tour'), h('span', { class: 'spacer' }), tourSecs, h('span', { class: 'muted' }, 's')),
      tourList,
      h('div', { class: 'toolbar' }, tourBtn,
        h('button', { class: 'btn btn-small', type: 'button', title: 'Previous (←)', onclick: () => stepTour(-1) }, icon('prev')),
        h('button', { class: 'btn btn-small', type: 'button', title: 'Next (→)', onclick: () => stepTour(1) }, icon('next'))),
      h('p', { class: 'muted' }, 'Keys: ', h('span', { class: 'kbd' }, '1-9'), ' tile, ', h('span', { class: 'kbd' }, '← →'), ' tour, ',
        h('span', { class: 'kbd' }, 'f'), ' full screen, ', h('span', { class: 'kbd' }, 'm'), ' maximise, ', h('span', { class: 'kbd' }, 'Del'), ' clear',
        ctx.can('cameras.ptz') ? [', ', h('span', { class: 'kbd' }, 'p'), ' steer a dome (then arrows, + -, Home, Esc)'] : '', '.')));
  root.append(main, side);

  // ---- tiles ----
  function cellsOf(l) { const n = parseInt(l, 10); return n * n; }

  function streamFor(t) {
    const c = byId.get(t.camera);
    const hasSub = !c || (c.streams || []).some((s) => s.stream === 'sub') || !!c.sub_url;
    if (cellsOf(layout) === 1 || maxed === t.index || !hasSub) return 'main';
    return 'sub';
  }

  function newTile(index) {
    const label = h('span', { class: 'tile-label' });
    const clock = h('span', { class: 'tile-clock' });
    const overlay = h('div', { class: 'tile-overlay state' });
    const streamTag = h('span', { class: 'tile-stream' });
    const empty = h('div', { class: 'tile-empty' }, 'Drop a camera here');
    const el = h('div', {
      class: 'tile', tabindex: '0', role: 'button', data: { index: String(index), state: 'empty' }, draggable: 'false',
    }, label, clock, overlay, empty, h('span', { class: 'tile-num' }, String(index + 1)), streamTag,
    h('button', { class: 'btn btn-small btn-ghost tile-close', type: 'button', title: 'Clear tile (Delete)', 'aria-label': 'Clear tile',
      onclick: (ev) => { ev.stopPropagation(); assign(t.index, ''); } }, icon('close')));
    const t = { index, camera: '', el, video: null, player: null, masks: null, ptz: null, overlay, label, clock, streamTag, empty };
    el.addEventListener('click', () => select(t.index));
    el.addEventListener('dblclick', () => toggleMax(t.index));
    el.addEventListener('keydown', (ev) => {
      if (ev.key === 'Enter' && ev.target === el) { ev.preventDefault(); toggleMax(t.index); }
    });
    el.addEventListener('dragover', (ev) => {
      const types = [...ev.dataTransfer.types];
      if (types.includes(CAMERA_MIME) || types.includes(TILE_MIME) || types.includes('text/plain')) {
        ev.preventDefault();
        ev.dataTransfer.dropEffect = types.includes(TILE_MIME) ? 'move' : 'copy';
        el.classList.add('drop-over');
      }
    });
    el.addEventListener('dragleave', () => el.classList.remove('drop-over'));
    el.addEventListener('drop', (ev) => {
      ev.preventDefault();
      el.classList.remove('drop-over');
      const from = ev.dataTransfer.getData(TILE_MIME);
      if (from !== '') {
        swap(parseInt(from, 10), t.index);
        return;
      }
      const id = ev.dataTransfer.getData(CAMERA_MIME) || ev.dataTransfer.getData('text/plain');
      if (byId.has(id)) { assign(t.index, id); select(t.index); }
    });
    el.addEventListener('dragstart', (ev) => {
      if (!t.camera) { ev.preventDefault(); return; }
      ev.dataTransfer.setData(TILE_MIME, String(t.index));
      ev.dataTransfer.effectAllowed = 'move';
    });
    return t;
  }

  function draw(t) {
    const c = byId.get(t.camera);
    t.el.dataset.camera = t.camera;
    if (!t.camera) delete t.el.dataset.camera;
    t.el.draggable = !!t.camera;
    t.label.textContent = t.camera ? (c ? c.name || c.id : t.camera) : '';
    t.label.hidden = !t.camera;
    t.clock.hidden = !t.camera;
    t.streamTag.hidden = !t.camera;
    t.empty.hidden = !!t.camera;
    t.el.setAttribute('aria-label', `Tile ${t.index + 1}: ${t.camera ? t.label.textContent : 'empty'}`);
    syncPTZ(t);
  }

  // syncPTZ gives a tile PTZ controls when it shows a dome this person may
  // steer (and takes them away, stopping the dome, when it no longer does).
  function syncPTZ(t) {
    const c = byId.get(t.camera);
    const want = !!(t.camera && t.video && c && c.ptz && ctx.can('cameras.ptz'));
    if (t.ptz && (!want || t.ptz.camera !== t.camera || t.ptz.video !== t.video)) { t.ptz.destroy(); t.ptz = null; }
    if (want && !t.ptz) {
      t.ptz = new PTZControls(t.el, t.video, { camera: t.camera, me, canOverride: ctx.can('cameras.ptz_override'), toast: ctx.toast });
    }
  }

  function drawState(t, state, message) {
    t.el.dataset.state = t.camera ? state : 'empty';
    const text = STATE_TEXT[state] || '';
    t.overlay.replaceChildren();
    if (t.camera && text) {
      t.overlay.append(state === 'offline' ? icon('offline') : '', h('strong', {}, text), message ? h('small', {}, message) : '');
    }
    t.overlay.hidden = !t.camera || !text;
  }

  function assign(index, camera) {
    const t = tiles[index];
    if (!t) return;
    if (t.player) { t.player.stop(); t.player = null; }
    if (t.masks) { t.masks.stop(); t.masks = null; }
    if (t.ptz) { t.ptz.destroy(); t.ptz = null; }
    if (t.video) { t.video.remove(); t.video = null; }
    t.camera = camera || '';
    draw(t);
    if (t.camera) {
      t.video = h('video', { muted: true, playsinline: true, autoplay: true, disablePictureInPicture: true });
      t.video.muted = true;
      t.el.prepend(t.video);
      t.masks = attachMasks(t.video, t.camera);
      const stream = streamFor(t);
      t.el.dataset.stream = stream;
      t.streamTag.textContent = stream.toUpperCase();
      t.player = new LivePlayer(t.video, { camera: t.camera, stream });
      t.player.setHidden(maxed >= 0 && t.index !== maxed);
      t.player.addEventListener('state', (ev) => drawState(t, ev.detail.state, ev.detail.message));
      drawState(t, 'connecting', '');
      t.player.start();
      syncPTZ(t);
    } else {
      delete t.el.dataset.stream;
      drawState(t, 'empty', '');
    }
    remember();
  }

  function swap(a, b) {
    if (a === b || !tiles[a] || !tiles[b]) return;
    const ca = tiles[a].camera;
    const cb = tiles[b].camera;
    assign(a, cb);
    assign(b, ca);
    select(b);
  }

  // restream puts each tile on the stream its size calls for.
  function restream() {
    for (const t of tiles) {
      if (!t.player) continue;
      const s = streamFor(t);
      if (s !== t.player.stream) {
        t.el.dataset.stream = s;
        t.streamTag.textContent = s.toUpperCase();
        t.player.setStream(s);
      }
    }
  }

  function setLayout(l, { keep = true } = {}) {
    if (!LAYOUTS.includes(l)) return;
    const n = cellsOf(l);
    layout = l;
    for (const t of tiles.slice(n)) { if (t.player) t.player.stop(); if (t.masks) t.masks.stop(); if (t.ptz) t.ptz.destroy(); }
    tiles = tiles.slice(0, n);
    while (tiles.length < n) { const t = newTile(tiles.length); tiles.push(t); draw(t); drawState(t, 'empty'); }
    if (!keep) for (const t of tiles) assign(t.index, '');
    grid.style.setProperty('--cols', String(parseInt(l, 10)));
    grid.dataset.layout = l;
    grid.replaceChildren(...tiles.map((t) => t.el));
    for (const b of layoutBtns) b.setAttribute('aria-pressed', String(b.dataset.layout === l));
    if (maxed >= n) maxed = -1;
    grid.classList.toggle('maxed', maxed >= 0);
    if (selected >= n) selected = 0;
    select(selected, { focus: false });
    restream();
    remember();
  }

  function select(i, { focus = true } = {}) {
    if (!tiles[i]) return;
    selected = i;
    for (const t of tiles) {
      t.el.classList.toggle('selected', t.index === i);
      t.el.setAttribute('aria-pressed', String(t.index === i));
    }
    if (focus && document.activeElement !== tiles[i].el && !isTyping()) tiles[i].el.focus({ preventScroll: true });
  }

  function toggleMax(i) {
    maxed = maxed === i ? -1 : i;
    for (const t of tiles) t.el.classList.toggle('tile-max', t.index === maxed);
    grid.classList.toggle('maxed', maxed >= 0);
    grid.dataset.maxed = maxed >= 0 ? String(maxed) : '';
    for (const t of tiles) if (t.player) t.player.setHidden(maxed >= 0 && t.index !== maxed);
    select(i, { focus: false });
    restream();
  }

  // ---- camera picker ----
  function matches(c) {
    const q = search.value.trim().toLowerCase();
    if (wardSel.value && c.ward !== wardSel.value) return false;
    if (statusSel.value && c.status !== statusSel.value) return false;
    if (kindSel.value && c.kind !== kindSel.value) return false;
    if (!q) return true;
    const hay = [c.id, c.name, c.ward, c.site, c.kind, c.status].join(' ').toLowerCase();
    return q.split(/\s+/).every((w) => hay.includes(w));
  }

  function drawList() {
    const items = cams.filter(matches).map((c) => {
      const li = h('li', {
        class: 'cam-item', tabindex: '0', draggable: 'true', data: { camera: c.id, status: c.status }, role: 'option',
        title: `${c.name || c.id} (${c.id}): click or Enter to show on the selected tile, or drag onto a tile`,
      },
      h('span', { class: `dot dot-${c.status}`, title: c.status }),
      h('span', { class: 'cam-name' }, c.name || c.id, h('br'), h('span', { class: 'cam-meta' }, [c.ward, c.kind, c.status].filter(Boolean).join(' · '))),
      h('button', { class: 'btn btn-small btn-ghost', type: 'button', title: 'Add to tour', 'aria-label': `Add ${c.name || c.id} to the tour`,
        data: { tourAdd: c.id }, onclick: (ev) => { ev.stopPropagation(); addToTour(c.id); } }, icon('plus')));
      li.addEventListener('click', () => putOnSelected(c.id));
      li.addEventListener('keydown', (ev) => {
        if (ev.key === 'Enter' || ev.key === ' ') { ev.preventDefault(); putOnSelected(c.id); }
        if (ev.key === 'ArrowDown' && li.nextElementSibling) { ev.preventDefault(); li.nextElementSibling.focus(); }
        if (ev.key === 'ArrowUp' && li.previousElementSibling) { ev.preventDefault(); li.previousElementSibling.focus(); }
      });
      li.addEventListener('dragstart', (ev) => {
        ev.dataTransfer.setData(CAMERA_MIME, c.id);
        ev.dataTransfer.setData('text/plain', c.id);
        ev.dataTransfer.effectAllowed = 'copy';
      });
      return li;
    });
    list.replaceChildren(...(items.length ? items : [h('li', { class: 'muted' }, cams.length ? 'No camera matches.' : 'No cameras in your scope.')]));
  }

  // putOnSelected shows a camera on the selected tile, then selects the
  // next empty tile so a wall fills with one click per camera.
  function putOnSelected(id) {
    assign(selected, id);
    const next = tiles.findIndex((t, i) => i > selected && !t.camera);
    if (next >= 0) select(next, { focus: false });
  }

  function drawFilters() {
    const wards = [...new Set(cams.map((c) => c.ward).filter(Boolean))].sort();
    const cur = wardSel.value;
    wardSel.replaceChildren(h('option', { value: '' }, 'Ward'), ...wards.map((w) => h('option', { value: w }, w)));
    wardSel.value = wards.includes(cur) ? cur : '';
  }

  async function loadCameras() {
    try {
      const res = await api('GET', '/api/v1/cameras', null, { signal: abort.signal });
      if (!alive) return;
      cams = (res.cameras || []).slice().sort((a, b) => (a.name || a.id).localeCompare(b.name || b.id));
      byId.clear();
      for (const c of cams) byId.set(c.id, c);
      drawFilters();
      drawList();
      for (const t of tiles) draw(t);
      if (alerts) alerts.draw();
    } catch (e) {
      if (alive && e.name !== 'AbortError') ctx.toast('Cannot load cameras: ' + errorText(e), 'error');
    }
  }

  // ---- tours ----
  function drawTour() {
    tourList.replaceChildren(...tour.cams.map((id, i) => h('li', { class: tour.running && i === tour.pos ? 'current' : '', data: { camera: id } },
      h('span', {}, (byId.get(id) || {}).name || id),
      h('button', { class: 'btn btn-small btn-ghost', type: 'button', 'aria-label': 'Remove from tour', onclick: () => { tour.cams.splice(i, 1); drawTour(); } }, icon('close')))));
    if (!tour.cams.length) tourList.append(h('li', { class: 'muted' }, 'Add cameras with + to cycle them through the selected tile.'));
    tourBtn.replaceChildren(icon(tour.running ? 'stop' : 'tour'), tour.running ? 'Stop tour' : 'Start tour');
    tourBtn.setAttribute('aria-pressed', String(tour.running));
  }

  function addToTour(id) {
    if (!tour.cams.includes(id)) tour.cams.push(id);
    drawTour();
  }

  function toggleTour() {
    if (tour.running) { stopTour(); return; }
    if (!tour.cams.length) { ctx.toast('Add cameras to the tour first (the + beside each camera).', 'warn'); return; }
    tour.seconds = Math.min(600, Math.max(3, parseInt(tourSecs.value, 10) || 10));
    tourSecs.value = String(tour.seconds);
    tour.running = true;
    tour.tile = selected;
    tour.pos = -1;
    stepTour(1);
  }

  function stopTour() {
    tour.running = false;
    clearTimeout(tour.timer);
    tour.timer = null;
    drawTour();
  }

  function stepTour(dir) {
    if (!tour.running || !tour.cams.length) return false;
    clearTimeout(tour.timer);
    tour.pos = (tour.pos + dir + tour.cams.length) % tour.cams.length;
    assign(tour.tile, tour.cams[tour.pos]);
    tour.timer = setTimeout(() => stepTour(1), tour.seconds * 1000);
    drawTour();
    return true;
  }

  // ---- saved walls ----
  function drawWalls() {
    wallSelect.replaceChildren(h('option', { value: '' }, walls.length ? 'Saved walls…' : 'No saved walls'),
      ...walls.map((w) => h('option', { value: String(w.id) }, `${w.name} (${w.layout})`)));
    wallSelect.value = wallId ? String(wallId) : '';
  }

  async function loadWalls() {
    try {
      const res = await api('GET', '/api/v1/walls', null, { signal: abort.signal });
      if (!alive) return;
      walls = res.walls || [];
      drawWalls();
    } catch (e) {
      if (alive && e.name !== 'AbortError') ctx.toast('Cannot load saved walls: ' + errorText(e), 'error');
    }
  }

  function loadWall(id) {
    const w = walls.find((x) => String(x.id) === String(id));
    if (!w) { wallId = null; return; }
    wallId = w.id;
    wallName.value = w.name;
    stopTour();
    if (maxed >= 0) toggleMax(maxed);
    setLayout(w.layout);
    tiles.forEach((t, i) => { if (t.camera !== (w.tiles[i] || '')) assign(i, w.tiles[i] || ''); });
    tour.cams = (w.tour || []).slice();
    tourSecs.value = String(w.tour_seconds || 10);
    drawTour();
    drawWalls();
    ctx.toast(`Wall “${w.name}” opened`, 'ok');
  }

  async function saveWall(asNew) {
    const name = wallName.value.trim();
    if (!name) { ctx.toast('Give the wall a name first.', 'warn'); wallName.focus(); return; }
    const body = { name, layout, tiles: tiles.map((t) => t.camera), tour: tour.cams.slice(),
      tour_seconds: Math.min(600, Math.max(3, parseInt(tourSecs.value, 10) || 10)) };
    const existing = walls.find((w) => w.id === wallId);
    try {
      let w;
      if (existing && !asNew) w = await api('PUT', `/api/v1/walls/${existing.id}`, body);
      else w = await api('POST', '/api/v1/walls', body);
      wallId = w.id;
      await loadWalls();
      ctx.toast(`Wall “${w.name}” saved`, 'ok');
    } catch (e) {
      ctx.toast('Cannot save the wall: ' + errorText(e), 'error');
    }
  }

  async function deleteWall() {
    const w = walls.find((x) => x.id === wallId);
    if (!w) { ctx.toast('Open a saved wall to delete it.', 'warn'); return; }
    try {
      await api('DELETE', `/api/v1/walls/${w.id}`);
      wallId = null;
      wallName.value = '';
      await loadWalls();
      ctx.toast(`Wall “${w.name}” deleted`, 'ok');
    } catch (e) {
      ctx.toast('Cannot delete the wall: ' + errorText(e), 'error');
    }
  }

  // The wall as left, per user and browser, so a reload brings it back.
  function remember() {
    if (!ready) return;
    try { localStorage.setItem(storeKey, JSON.stringify({ layout, tiles: tiles.map((t) => t.camera) })); } catch { /* private mode */ }
  }

  // ---- full screen and keys ----
  function fullscreen() {
    if (document.fullscreenElement) { document.exitFullscreen().catch(() => {}); return; }
    (main.requestFullscreen ? main.requestFullscreen() : Promise.reject(new Error('no Fullscreen API')))
      .catch((e) => ctx.toast('Full screen is not available: ' + e.message, 'warn'));
  }

  function isTyping() {
    const a = document.activeElement;
    return a && (a.tagName === 'INPUT' || a.tagName === 'TEXTAREA' || a.tagName === 'SELECT' || a.isContentEditable);
  }

  function onKey(ev) {
    if (ev.ctrlKey || ev.metaKey || ev.altKey || isTyping() || document.querySelector('.modal')) return;
    const k = ev.key;
    if (k >= '1' && k <= '9') {
      const i = parseInt(k, 10) - 1;
      if (i < tiles.length) { select(i); ev.preventDefault(); }
    } else if (k === 'ArrowRight' || k === 'ArrowLeft' || k === 'ArrowUp' || k === 'ArrowDown') {
      if (document.activeElement && document.activeElement.classList.contains('cam-item')) return;
      const dir = k === 'ArrowRight' || k === 'ArrowDown' ? 1 : -1;
      if ((k === 'ArrowRight' || k === 'ArrowLeft') && stepTour(dir)) { ev.preventDefault(); return; }
      const n = parseInt(layout, 10);
      const step = k === 'ArrowUp' || k === 'ArrowDown' ? n : 1;
      const next = selected + dir * step;
      if (next >= 0 && next < tiles.length) { select(next); ev.preventDefault(); }
    } else if (k === 'f' || k === 'F') {
      fullscreen();
      ev.preventDefault();
    } else if (k === 'm' || k === 'M') {
      toggleMax(selected);
      ev.preventDefault();
    } else if ((k === 'p' || k === 'P') && tiles[selected] && tiles[selected].ptz) {
      tiles[selected].ptz.toggle();
      if (document.activeElement !== tiles[selected].el) tiles[selected].el.focus({ preventScroll: true });
      ev.preventDefault();
    } else if (k === 'Escape' && maxed >= 0) {
      toggleMax(maxed);
    } else if (k === 'Delete' || k === 'Backspace') {
      if (tour.running && tour.tile === selected) stopTour();
      assign(selected, '');
      ev.preventDefault();
    }
  }
  document.addEventListener('keydown', onKey);

  function tick() {
    const now = londonTime(new Date());
    for (const t of tiles) if (t.camera) t.clock.textContent = now;
  }

  search.addEventListener('input', drawList);
  for (const s of [wardSel, statusSel, kindSel]) s.addEventListener('change', drawList);

  // ---- start ----
  // Layout and cameras: from the address (#/wall?layout=2x2&cams=a,b,c,d),
  // else as this user left the wall in this browser.
  let startLayout = '2x2';
  let startCams = [];
  const p = ctx.params;
  if (p.get('layout') || p.get('cams')) {
    startLayout = LAYOUTS.includes(p.get('layout')) ? p.get('layout') : '2x2';
    startCams = (p.get('cams') || '').split(',').map((s) => s.trim());
  } else {
    try {
      const saved = JSON.parse(localStorage.getItem(storeKey) || 'null');
      if (saved && LAYOUTS.includes(saved.layout)) { startLayout = saved.layout; startCams = saved.tiles || []; }
    } catch { /* nothing saved */ }
  }
  setLayout(startLayout);
  let alerts = null;
  if (alertsBox) {
    alerts = new AlertsPanel(alertsBox, {
      toast: ctx.toast,
      cameraName: (id) => (byId.get(id) || {}).name || id,
      onShow: (id) => { if (byId.has(id)) { assign(selected, id); } else ctx.toast(`Camera ${id} is not in your list`, 'warn'); },
      canThumb: ctx.can('footage.view'),
    });
    alerts.start();
  }
  tick();
  timers.push(setInterval(tick, 1000));
  drawTour();
  drawWalls();
  drawList();
  (async () => {
    await loadCameras();
    if (!alive) return;
    startCams.slice(0, tiles.length).forEach((id, i) => { if (id && byId.has(id)) assign(i, id); });
    ready = true;
    remember();
    const first = tiles.findIndex((t) => !t.camera);
    select(first >= 0 ? first : 0, { focus: false });
    loadWalls();
  })();
  timers.push(setInterval(loadCameras, 15000));

  return () => {
    alive = false;
    abort.abort();
    timers.forEach(clearInterval);
    clearTimeout(tour.timer);
    document.removeEventListener('keydown', onKey);
    for (const t of tiles) { if (t.player) t.player.stop(); if (t.masks) t.masks.stop(); if (t.ptz) t.ptz.destroy(); }
    if (alerts) alerts.stop();
    if (document.fullscreenElement) document.exitFullscreen().catch(() => {});
  };
}
