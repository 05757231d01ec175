// playback.js: recorded footage of up to four cameras on one clock.
//
// Route: #/playback?camera=cam1&at=2026-11-24T10:00:00Z&cameras=cam1,cam2
// Every access to footage is logged with a reason, so the reason (and an
// optional reference) is asked in a modal before any picture is fetched.
// The stream is GET .../playback?format=fmp4, read with fetch and fed to
// Media Source Extensions so that the prft box of every fragment gives the
// wall time of the picture (the time shown is the picture's, not a guess).
// The timeline shows analytics events (motion, tamper) of the window; a
// click on one plays from its start. Privacy masks cover each picture.
import { api, errorText, h, loadCSS } from '../api.js';
import { icon } from '../icons.js';
import {
  londonDateTime, londonTime, londonTimeMs, londonDate, londonZone, toLondonInput,
  parseLondonDetail, rfc3339, londonDayBounds,
} from '../lib/time.js';
import { Timeline } from '../lib/timeline.js';
import { fetchEvents } from '../lib/events.js';
import { attachMasks } from '../lib/masks.js';
import { openModal, bookmarkForm } from './bookmarks.js';

const MAX_TILES = 4;
const CHUNK_MS = 30 * 60e3; // one playback request covers at most this much
const DRIFT_MS = 300; // resync a camera further than this from the clock
const THUMBS = 6; // thumbnails per timeline window (each one is a logged access)
const ZOOMS = [['5m', '5 min', 5 * 60e3], ['15m', '15 min', 15 * 60e3], ['1h', '1 hour', 3600e3], ['6h', '6 hours', 6 * 3600e3], ['day', 'Day', 0]];
const RATES = [1, 2, 4, 8];

// ---------------------------------------------------------------------------
// A small fMP4 reader: top-level boxes out of a byte stream.

class ByteQueue {
  constructor() { this.chunks = []; this.length = 0; }
  push(u8) { this.chunks.push(u8); this.length += u8.length; }
  // peek returns the first n bytes as one array (n <= length).
  peek(n) {
    if (this.chunks[0].length >= n) return this.chunks[0].subarray(0, n);
    const out = new Uint8Array(n);
    let o = 0;
    for (const c of this.chunks) {
      const k = Math.min(c.length, n - o);
      out.set(c.subarray(0, k), o);
      o += k;
      if (o === n) break;
    }
    // Keep the joined bytes as the first chunk so they are not joined twice.
    this.drop(n);
    this.chunks.unshift(out);
    this.length += n;
    return out;
  }
  drop(n) {
    this.length -= n;
    while (n > 0) {
      const c = this.chunks[0];
      if (c.length <= n) { this.chunks.shift(); n -= c.length; } else { this.chunks[0] = c.subarray(n); n = 0; }
    }
  }
}

const u32 = (b, o) => ((b[o] << 24) >>> 0) + (b[o + 1] << 16) + (b[o + 2] << 8) + b[o + 3];
const fourcc = (b, o) => String.fromCharCode(b[o], b[o + 1], b[o + 2], b[o + 3]);

function findBytes(b, s) {
  const c = [...s].map((x) => x.charCodeAt(0));
  outer: for (let i = 0; i + c.length <= b.length; i++) {
    for (let j = 0; j < c.length; j++) if (b[i + j] !== c[j]) continue outer;
    return i;
  }
  return -1;
}

// child finds a child box of type typ in b[start:end).
function child(b, start, end, typ) {
  for (let o = start; o + 8 <= end;) {
    const size = u32(b, o);
    if (size < 8) return null;
    if (fourcc(b, o + 4) === typ) return [o, Math.min(end, o + size)];
    o += size;
  }
  return null;
}

function parseInit(moov) {
  let codec = 'avc1.42e01f', timescale = 90000;
  const a = findBytes(moov, 'avcC');
  if (a >= 0 && a + 8 <= moov.length) {
    const hex = (x) => x.toString(16).padStart(2, '0');
    codec = `avc1.${hex(moov[a + 5])}${hex(moov[a + 6])}${hex(moov[a + 7])}`;
  }
  const m = findBytes(moov, 'mdhd');
  if (m >= 0) {
    const v = moov[m + 4];
    const at = m + 4 + (v === 1 ? 20 : 12);
    if (at + 4 <= moov.length) timescale = u32(moov, at) || timescale;
  }
  return { codec, timescale };
}

// parseMoof reads the decode time of a fragment and its first frame's duration.
function parseMoof(b) {
  const traf = child(b, 8, b.length, 'traf');
  if (!traf) return { dts: 0, dur: 0 };
  let dts = 0, dur = 0;
  const tfdt = child(b, traf[0] + 8, traf[1], 'tfdt');
  if (tfdt) {
    const o = tfdt[0];
    dts = b[o + 8] === 1 ? u32(b, o + 12) * 4294967296 + u32(b, o + 16) : u32(b, o + 12);
  }
  const trun = child(b, traf[0] + 8, traf[1], 'trun');
  if (trun) {
    const o = trun[0];
    const flags = (b[o + 9] << 16) | (b[o + 10] << 8) | b[o + 11];
    let p = o + 16;
    if (flags & 0x1) p += 4;
    if (flags & 0x4) p += 4;
    if (flags & 0x100 && p + 4 <= trun[1]) dur = u32(b, p);
  }
  return { dts, dur };
}

// prftWall reads the NTP wall time of a prft box (ms since 1970).
function prftWall(b) {
  const hi = u32(b, 16), lo = u32(b, 20);
  return (hi - 2208988800) * 1000 + (lo / 4294967296) * 1000;
}

function svgIcon(d) {
  const ns = 'http://www.w3.org/2000/svg';
  const svg = document.createElementNS(ns, 'svg');
  svg.setAttribute('viewBox', '0 0 24 24');
  svg.setAttribute('class', 'icon');
  svg.setAttribute('aria-hidden', 'true');
  svg.setAttribute('fill', 'currentColor');
  svg.setAttribute('stroke', 'currentColor');
  svg.setAttribute('stroke-width', '2');
  const p = document.createElementNS(ns, 'path');
  p.setAttribute('d', d);
  svg.append(p);
  return svg;
}

const sleep = (ms, signal) => new Promise((res) => {
  const t = setTimeout(res, ms);
  signal?.addEventListener('abort', () => { clearTimeout(t); res(); }, { once: true });
});

// ---------------------------------------------------------------------------
// Player: one camera's stream in one <video>.

class Player {
  // hooks: { status(text, kind), ended(player), rate() }
  constructor(video, hooks) {
    this.video = video;
    this.hooks = hooks;
    this.anchors = []; // [{t (media s), wall (ms)}], by t
    this.frameDur = 0.04;
    this.ac = null;
    this.url = '';
    this.objURL = '';
    this.pendingSeek = null;
    this.from = null;
    this.to = null;
    this.loading = false;
    this.done = false;
    this.error = '';
    this.onEnded = () => this.hooks.ended?.(this);
    video.addEventListener('ended', this.onEnded);
  }

  stop() {
    this.ac?.abort();
    this.ac = null;
    this.anchors = [];
    this.pendingSeek = null;
    this.loading = false;
    this.done = false;
    this.video.removeAttribute('src');
    try { this.video.load(); } catch { /* nothing loaded */ }
    if (this.objURL) URL.revokeObjectURL(this.objURL);
    this.objURL = '';
  }

  destroy() {
    this.stop();
    this.video.removeEventListener('ended', this.onEnded);
  }

  ready() { return this.anchors.length > 0 && this.pendingSeek === null; }

  // wallAt maps a media time to wall time (ms).
  wallAt(t) {
    const a = this.anchors;
    if (!a.length) return null;
    let k = a[0];
    for (const x of a) { if (x.t <= t + 1e-6) k = x; else break; }
    return k.wall + (t - k.t) * 1000;
  }

  wallNow() {
    if (this.pendingSeek !== null) return this.pendingSeek;
    return this.wallAt(this.video.currentTime);
  }

  // mediaAt maps a wall time (ms) to media time.
  mediaAt(wall) {
    const a = this.anchors;
    if (!a.length) return null;
    let k = a[0];
    for (const x of a) { if (x.wall <= wall) k = x; else break; }
    // Never place a wall time that falls in a hole past the next fragment.
    return Math.max(0, k.t + (wall - k.wall) / 1000);
  }

  // buffered reports whether media time t can be shown without a new request.
  buffered(t) {
    const b = this.video.buffered;
    for (let i = 0; i < b.length; i++) if (t >= b.start(i) - 0.05 && t <= b.end(i)) return true;
    return false;
  }

  // seekWall shows wall time w if loaded; false when a new request is needed.
  seekWall(w) {
    if (!this.anchors.length || this.pendingSeek !== null) return false;
    if (w < this.anchors[0].wall - 50) return false;
    const t = this.mediaAt(w);
    if (t === null || !this.buffered(t)) return false;
    this.video.currentTime = t;
    return true;
  }

  bufferedEnd() {
    const b = this.video.buffered;
    return b.length ? b.end(b.length - 1) : 0;
  }

  async load({ camera, from, to, reason, ref, seek, play }) {
    this.stop();
    const ac = new AbortController();
    this.ac = ac;
    this.from = from;
    this.to = to;
    this.pendingSeek = seek.getTime();
    this.autoplay = play;
    this.loading = true;
    this.error = '';
    const q = new URLSearchParams({ from: rfc3339(from), to: rfc3339(to), format: 'fmp4', reason });
    if (ref) q.set('ref', ref);
    this.url = `/api/v1/cameras/${encodeURIComponent(camera)}/playback?${q}`;
    this.hooks.status('Loading footage…', 'info');
    try {
      if (!('MediaSource' in window)) {
        await this.plain(seek, play);
        return;
      }
      await this.stream(ac.signal);
    } catch (e) {
      if (ac.signal.aborted) return;
      this.error = e.message || String(e);
      this.hooks.status(this.error, 'error');
    } finally {
      if (this.ac === ac) this.loading = false;
    }
  }

  // plain is the fallback without MSE: <video src>, time from the request.
  async plain(seek, play) {
    this.anchors = [{ t: 0, wall: this.from.getTime() }];
    this.pendingSeek = null;
    this.video.src = this.url;
    if (play) this.video.play().catch(() => {});
    this.hooks.status('', '');
  }

  async stream(signal) {
    const ms = new MediaSource();
    this.objURL = URL.createObjectURL(ms);
    this.video.src = this.objURL;
    await new Promise((res) => ms.addEventListener('sourceopen', res, { once: true }));
    if (signal.aborted) return;
    const res = await fetch(this.url, { signal, credentials: 'same-origin', cache: 'no-store' });
    if (!res.ok) {
      let msg = `${res.status} ${res.statusText}`;
      try { msg = (await res.json()).error || msg; } catch { /* not JSON */ }
      if (res.status === 401) location.hash = '#/login';
      throw new Error(explain(res.status, msg));
    }
    const reader = res.body.getReader();
    signal.addEventListener('abort', () => reader.cancel().catch(() => {}), { once: true });
    const q = new ByteQueue();
    const init = [];
    let sb = null, timescale = 90000, wall = null, moof = null, dts = 0;
    const append = async (data) => {
      await this.room(signal);
      for (let tries = 0; ; tries++) {
        if (signal.aborted || ms.readyState !== 'open') return;
        try {
          sb.appendBuffer(data);
          await updated(sb, signal);
          break;
        } catch (e) {
          if (e.name !== 'QuotaExceededError' || tries > 3) throw e;
          await this.evict(sb, signal, true);
        }
      }
      await this.evict(sb, signal, false);
    };
    for (;;) {
      const { done, value } = await reader.read();
      if (signal.aborted) return;
      if (done) break;
      q.push(value);
      while (q.length >= 8) {
        const head = q.peek(Math.min(q.length, 16));
        let size = u32(head, 0);
        const type = fourcc(head, 4);
        if (size === 1) {
          if (head.length < 16) break;
          size = u32(head, 8) * 4294967296 + u32(head, 12);
        }
        if (size < 8 || size > 256 * 1024 * 1024) throw new Error('the footage stream is damaged (bad box size)');
        if (q.length < size) break;
        const box = q.peek(size).slice();
        q.drop(size);
        if (type === 'ftyp' || type === 'moov') {
          init.push(box);
          if (type === 'moov') ({ timescale } = this.initInfo(box));
        } else if (type === 'prft') {
          wall = prftWall(box);
        } else if (type === 'moof') {
          moof = box;
          const m = parseMoof(box);
          dts = m.dts;
          if (m.dur) this.frameDur = m.dur / timescale;
          if (!sb) {
            const mime = `video/mp4; codecs="${this.codec}"`;
            if (!MediaSource.isTypeSupported(mime)) throw new Error(`this browser cannot play ${mime}`);
            sb = ms.addSourceBuffer(mime);
            sb.mode = 'segments';
            await append(concat(init));
          }
        } else if (type === 'mdat' && moof) {
          const t = dts / timescale;
          if (wall !== null) this.anchors.push({ t, wall: wall });
          await append(concat([moof, box]));
          moof = null;
          this.afterAppend();
        }
        // Other boxes (the Vigil uuid box, free) are not for the browser.
      }
    }
    if (!sb) throw new Error('no footage in this range');
    await idle(sb, signal);
    if (!signal.aborted && ms.readyState === 'open') ms.endOfStream();
    this.done = true;
    this.afterAppend();
  }

  initInfo(moov) {
    const info = parseInit(moov);
    this.codec = info.codec;
    return info;
  }

  // afterAppend makes the first seek once the wanted time is loaded.
  afterAppend() {
    if (this.pendingSeek === null || !this.anchors.length) return;
    const t = this.mediaAt(this.pendingSeek);
    const end = this.bufferedEnd();
    if (end >= t + 0.1 || this.done) {
      const b = this.video.buffered;
      let target = Math.min(t, end);
      if (b.length && target < b.start(0)) target = b.start(0);
      this.video.currentTime = target;
      this.pendingSeek = null;
      this.hooks.status('', '');
      this.video.playbackRate = this.hooks.rate();
      if (this.autoplay) this.video.play().catch(() => {});
    }
  }

  // room waits while more than enough is buffered ahead of the picture.
  async room(signal) {
    while (!signal.aborted) {
      const ahead = this.bufferedEnd() - this.video.currentTime;
      if (this.pendingSeek !== null || ahead < 20 * Math.max(1, this.video.playbackRate)) return;
      await sleep(250, signal);
    }
  }

  // evict removes footage well behind the picture (or more, when full).
  async evict(sb, signal, hard) {
    const b = this.video.buffered;
    if (!b.length) return;
    const keep = hard ? 10 : 60;
    const cut = this.video.currentTime - keep;
    if (cut - b.start(0) > (hard ? 1 : 30)) {
      await idle(sb, signal);
      if (signal.aborted) return;
      sb.remove(b.start(0), cut);
      await updated(sb, signal);
    }
  }

  // skipHole jumps over a hole in the buffered footage (a recording gap).
  skipHole() {
    const v = this.video;
    if (v.paused || v.readyState >= 3 || this.pendingSeek !== null) return;
    const b = v.buffered;
    for (let i = 0; i < b.length; i++) {
      if (b.start(i) > v.currentTime + 0.01) {
        const inRange = i > 0 && v.currentTime >= b.start(i - 1) && v.currentTime < b.end(i - 1) - 0.3;
        if (!inRange) v.currentTime = b.start(i) + 0.001;
        return;
      }
    }
  }
}

function concat(parts) {
  const n = parts.reduce((s, p) => s + p.length, 0);
  const out = new Uint8Array(n);
  let o = 0;
  for (const p of parts) { out.set(p, o); o += p.length; }
  return out;
}

function updated(sb, signal) {
  return new Promise((res, rej) => {
    const done = () => { cleanup(); res(); };
    const fail = () => { cleanup(); rej(new Error('the browser could not decode this footage')); };
    const cleanup = () => {
      sb.removeEventListener('updateend', done);
      sb.removeEventListener('error', fail);
      signal.removeEventListener('abort', done);
    };
    sb.addEventListener('updateend', done);
    sb.addEventListener('error', fail);
    signal.addEventListener('abort', done);
  });
}

async function idle(sb, signal) {
  while (sb.updating && !signal.aborted) await updated(sb, signal);
}

function explain(status, msg) {
  if (status === 404 && /no footage/i.test(msg)) {
    return 'No footage recorded at this time. ' + msg.replace(/^playback: /, '');
  }
  if (status === 403) return 'You may not view this footage: ' + msg;
  return msg;
}

// ---------------------------------------------------------------------------
// The page.

export function mount(root, ctx) {
  loadCSS('/static/pages/bookmarks.css');
  loadCSS('/static/pages/playback.css');
  const timers = [];
  const aborts = new AbortController();
  const params = ctx.params || new URLSearchParams();
  const police = !ctx.can('cameras.read');
  const state = {
    cameras: [], // [{id, name, grants:[{from,to}]}]
    ids: [], // cameras on screen
    reason: '',
    ref: '',
    rate: 1,
    zoom: '1h',
    from: null,
    to: null,
    bookmarks: [],
    events: [],
    thumbsKey: '',
    dead: false,
  };
  let players = [];

  // --- layout
  const camSelect = h('select', { id: 'pb-camera', 'aria-label': 'Camera' });
  const addSelect = h('select', { id: 'pb-add', 'aria-label': 'Add a camera to play in sync' });
  const chips = h('span', { class: 'pb-chips', id: 'pb-chips' });
  const atInput = h('input', { type: 'datetime-local', step: '1', id: 'pb-at', 'aria-label': 'Date and time (London)' });
  const atNote = h('span', { class: 'pb-note', id: 'pb-at-note' });
  const goBtn = h('button', { class: 'btn btn-primary', id: 'pb-go', type: 'button' }, icon('play'), ' Play');
  const reasonBar = h('div', { class: 'pb-reason', id: 'pb-reason' });
  const grid = h('div', { class: 'pb-grid pb-n1', id: 'pb-grid' });
  const clock = h('output', { class: 'pb-clock', id: 'pb-time', 'aria-live': 'off' }, '—');
  const playBtn = h('button', { class: 'btn', id: 'pb-play', type: 'button', title: 'Play / pause (space)' }, icon('play'));
  const backBtn = h('button', { class: 'btn', id: 'pb-step-back', type: 'button', title: 'One frame back (,)', 'aria-label': 'One frame back' }, svgIcon('M17 5l-9 7 9 7zM6 5v14'));
  const fwdBtn = h('button', { class: 'btn', id: 'pb-step-fwd', type: 'button', title: 'One frame forward (.)', 'aria-label': 'One frame forward' }, svgIcon('M7 5l9 7-9 7zM18 5v14'));
  const rateBtns = RATES.map((r) => h('button', { class: 'btn pb-rate', type: 'button', data: { rate: String(r) }, 'aria-pressed': String(r === 1) }, `${r}×`));
  const bmSelect = h('select', { id: 'pb-bookmarks', 'aria-label': 'Jump to a bookmark' }, h('option', { value: '' }, 'Jump to bookmark…'));
  const bmBtn = h('button', { class: 'btn', id: 'pb-bookmark', type: 'button', title: 'Bookmark this moment (b)' }, icon('bookmark'), ' Bookmark');
  const winLabel = h('span', { class: 'pb-window-label', id: 'pb-window' });
  const prevWin = h('button', { class: 'btn', type: 'button', title: 'Earlier', id: 'pb-win-prev' }, icon('prev'));
  const nextWin = h('button', { class: 'btn', type: 'button', title: 'Later', id: 'pb-win-next' }, icon('next'));
  const zoomBtns = ZOOMS.map(([k, label]) => h('button', { class: 'btn pb-zoom', type: 'button', data: { zoom: k }, 'aria-pressed': String(k === state.zoom) }, label));
  const tlRoot = h('div', { id: 'pb-timeline' });
  const thumbs = h('div', { class: 'pb-thumbs', id: 'pb-thumbs' });
  const message = h('div', { class: 'pb-message', id: 'pb-message', role: 'status' });

  const page = h('section', { class: 'pb-page' },
    h('div', { class: 'toolbar pb-pick' },
      h('label', { class: 'field' }, h('span', {}, 'Camera'), camSelect),
      h('label', { class: 'field' }, h('span', {}, 'Sync with'), addSelect),
      chips,
      h('label', { class: 'field' }, h('span', {}, 'Time (London)'), atInput),
      goBtn, atNote),
    reasonBar,
    message,
    grid,
    h('div', { class: 'toolbar pb-transport' },
      backBtn, playBtn, fwdBtn,
      h('span', { class: 'pb-rates', role: 'group', 'aria-label': 'Speed' }, rateBtns),
      clock,
      h('span', { class: 'spacer' }),
      bmSelect, ctx.can('bookmarks.write') ? bmBtn : null),
    h('div', { class: 'toolbar pb-windowbar' }, prevWin, winLabel, nextWin,
      h('span', { class: 'pb-legend', id: 'pb-legend' }, h('span', {}, h('i', { class: 'lg-motion' }), 'motion'),
        h('span', {}, h('i', { class: 'lg-tamper' }), 'tamper'), h('span', {}, h('i', { class: 'lg-bookmark' }), 'bookmark'),
        h('span', {}, h('i', { class: 'lg-gap' }), 'gap'), h('span', { id: 'pb-events-note' })),
      h('span', { class: 'spacer' }), zoomBtns),
    tlRoot,
    thumbs);
  root.replaceChildren(page);

  const timeline = new Timeline(tlRoot, {
    onScrub: (t) => scrub(t),
    onPreview: (t) => { if (t) clock.textContent = londonDateTime(t) + ' …'; },
  });

  const say = (text, kind = 'info') => {
    message.textContent = text || '';
    message.dataset.kind = kind;
    message.hidden = !text;
  };
  say('');

  // --- cameras
  const camName = (id) => (state.cameras.find((c) => c.id === id) || {}).name || id;

  async function loadCameras() {
    if (!police) {
      const r = await api('GET', '/api/v1/cameras', null, { signal: aborts.signal });
      state.cameras = (r.cameras || []).map((c) => ({ id: c.id, name: c.name || c.id, ward: c.ward, grants: null }));
      return;
    }
    // Police see footage only where an approved request grants it.
    const r = await api('GET', '/api/v1/exports', null, { signal: aborts.signal });
    const now = Date.now();
    const map = new Map();
    for (const x of r.exports || []) {
      if (x.state !== 'approved' || (x.grant_until && new Date(x.grant_until) < now)) continue;
      for (const id of x.cameras) {
        if (!map.has(id)) map.set(id, { id, name: id, grants: [] });
        map.get(id).grants.push({ from: new Date(x.from), to: new Date(x.to), ref: x.crime_reference });
      }
    }
    state.cameras = [...map.values()];
  }

  function fillSelects() {
    const opts = (sel, first) => {
      sel.replaceChildren(h('option', { value: '' }, first));
      for (const c of state.cameras) sel.append(h('option', { value: c.id }, c.name === c.id ? c.id : `${c.name} (${c.id})`));
    };
    opts(camSelect, state.cameras.length ? 'Choose a camera…' : 'No cameras you may play');
    opts(addSelect, '+ camera…');
    camSelect.value = state.ids[0] || '';
    renderChips();
  }

  function renderChips() {
    chips.replaceChildren(...state.ids.slice(1).map((id) => h('span', { class: 'badge pb-chip', data: { camera: id } }, camName(id),
      h('button', { type: 'button', class: 'pb-chip-x', title: 'Remove', onclick: () => { state.ids = state.ids.filter((x) => x !== id); layoutTiles(); renderChips(); restart(currentWall()); } }, '×'))));
    addSelect.disabled = state.ids.length === 0 || state.ids.length >= MAX_TILES;
  }

  // --- the grant window, for police
  function clampToGrant(id, from, to) {
    const c = state.cameras.find((x) => x.id === id);
    if (!c || !c.grants) return [from, to];
    const g = c.grants.find((x) => to > x.from && from < x.to) || c.grants[0];
    if (!g) return [from, to];
    return [new Date(Math.max(from, g.from)), new Date(Math.min(to, g.to))];
  }

  // placeAt is where camera id stood at wall time w (ms), from the index.
  function placeAt(id, w) {
    const row = (state.index || []).find((r) => r.camera === id);
    if (!w || !row || !row.places) return null;
    return row.places.find((l) => w >= Date.parse(l.from) && (!l.to || w < Date.parse(l.to))) || null;
  }

  // --- tiles
  function layoutTiles() {
    players.forEach((p) => { p.destroy(); p.masks?.stop(); });
    players = [];
    grid.replaceChildren();
    grid.className = `pb-grid pb-n${state.ids.length > 1 ? 4 : 1}`;
    for (const id of state.ids) {
      const video = h('video', { muted: true, playsInline: true, preload: 'auto', class: 'pb-video', data: { camera: id } });
      video.muted = true;
      const time = h('span', { class: 'pb-tile-time' }, '');
      // Where the camera stood when this footage was taken (a mobile
      // camera's place then, not today's): from the recordings index.
      const place = h('span', { class: 'pb-tile-place' }, '');
      const msg = h('div', { class: 'pb-tile-msg', hidden: true });
      const tile = h('div', { class: 'pb-tile', data: { camera: id } }, video,
        h('div', { class: 'pb-tile-label' }, h('strong', {}, camName(id)), ' ', time, ' ', place), msg);
      grid.append(tile);
      const p = new Player(video, {
        status: (text, kind) => { msg.textContent = text; msg.hidden = !text; msg.dataset.kind = kind || ''; },
        ended: (pl) => onEnded(pl),
        rate: () => state.rate,
      });
      p.camera = id;
      p.masks = attachMasks(video, id);
      p.timeEl = time;
      p.placeEl = place;
      p.tile = tile;
      players.push(p);
    }
    const multi = state.ids.length > 1;
    timeline.setRows(state.ids.map((id) => ({ camera: id, label: camName(id), spans: [], gaps: [] })));
    if (multi) say('');
  }

  const master = () => players.find((p) => p.ready()) || players[0];

  function currentWall() {
    const m = master();
    const w = m && m.wallNow();
    if (w) return new Date(w);
    return parseLondonInput(atInput.value) || new Date(Date.now() - 5 * 60e3);
  }

  function parseLondonInput(v) {
    const r = parseLondonDetail(v);
    atNote.textContent = r && r.note ? r.note : '';
    return r ? r.date : null;
  }

  // --- reason modal: asked before any footage is fetched
  function askReason() {
    return new Promise((resolve) => {
      const reason = h('textarea', { id: 'pb-reason-text', rows: 3, maxlength: 500, required: true, placeholder: 'e.g. reported assault outside the station, checking the approach' });
      const ref = h('input', { id: 'pb-reason-ref', maxlength: 64, placeholder: 'crime or incident number (optional)' });
      reason.value = state.reason;
      ref.value = state.ref;
      const err = h('p', { class: 'pb-error', role: 'alert' });
      const form = h('form', { class: 'pb-reason-form', id: 'pb-reason-form' },
        h('p', {}, 'Every view of recorded footage is logged in the evidence log with who, when, which camera and time, and why. Say why you are viewing this footage.'),
        h('label', { class: 'field' }, h('span', {}, 'Reason'), reason),
        h('label', { class: 'field' }, h('span', {}, 'Reference'), ref),
        err,
        h('div', { class: 'toolbar' },
          h('button', { class: 'btn btn-primary', type: 'submit', id: 'pb-reason-ok' }, 'View footage'),
          h('button', { class: 'btn', type: 'button', onclick: () => { close(); resolve(false); } }, 'Cancel')));
      form.addEventListener('submit', (e) => {
        e.preventDefault();
        const r = reason.value.trim();
        if (!r) { err.textContent = 'A reason is required: every access is logged.'; reason.focus(); return; }
        state.reason = r;
        state.ref = ref.value.trim();
        close();
        renderReason();
        resolve(true);
      });
      const close = openModal('Why are you viewing this footage?', form, () => resolve(false));
      reason.focus();
    });
  }

  function renderReason() {
    reasonBar.replaceChildren();
    if (!state.reason) return;
    reasonBar.append(h('span', {}, 'Logged as: ', h('q', {}, state.reason), state.ref ? ` (ref ${state.ref})` : ''),
      h('button', { class: 'btn btn-small', type: 'button', onclick: async () => { if (await askReason()) restart(currentWall()); } }, 'Change reason'));
  }

  // --- starting and restarting the streams
  async function restart(at, play = true) {
    if (!state.ids.length || state.dead) return;
    if (!state.reason && !(await askReason())) return;
    const now = Date.now();
    let from = new Date(Math.min(at.getTime(), now - 2000));
    let to = new Date(Math.min(from.getTime() + CHUNK_MS, now));
    if (to - from < 2000) { from = new Date(now - 10e3); to = new Date(now); }
    [from, to] = clampToGrant(state.ids[0], from, to);
    if (to <= from) { say('Outside the footage your approved requests cover.', 'error'); return; }
    say('');
    atInput.value = toLondonInput(from);
    if (!inWindow(from)) setWindowAround(from);
    timeline.setPlayhead(from);
    updateHash(from);
    playBtn.replaceChildren(icon(play ? 'pause' : 'play'));
    await Promise.all(players.map((p) => p.load({ camera: p.camera, from, to, reason: state.reason, ref: state.ref, seek: from, play })));
    loadThumbs();
  }

  function updateHash(at) {
    const q = new URLSearchParams({ camera: state.ids[0] || '', at: rfc3339(at) });
    if (state.ids.length > 1) q.set('cameras', state.ids.join(','));
    history.replaceState(null, '', '#/playback?' + q);
  }

  // scrub shows time t: a seek when it is loaded, else a new request.
  function scrub(t) {
    if (!players.length) { atInput.value = toLondonInput(t); return; }
    const playing = players.some((p) => !p.video.paused);
    if (players.every((p) => p.seekWall(t.getTime()))) {
      timeline.setPlayhead(t);
      updateHash(t);
      return;
    }
    restart(t, playing || players.every((p) => !p.anchors.length));
  }

  // onEnded: the request's range ran out. Carry on from there while more
  // has been recorded since (a new, logged request); near the live edge
  // wait a little for it; stop when a request brings nothing new.
  let carried = 0;
  let carryTimer = 0;
  function onEnded(p) {
    if (p !== master()) return;
    const w = p.wallNow();
    if (!w) return;
    clearTimeout(carryTimer);
    if (w <= carried + 500) {
      say(`No more footage after ${londonDateTime(w)}${Date.now() - w < 60e3 ? ' (the latest recorded)' : ''}.`, 'info');
      playBtn.replaceChildren(icon('play'));
      return;
    }
    const wait = 5000 - (Date.now() - p.to.getTime());
    if (wait > 0) say(`Caught up with the recording at ${londonTime(w)}; going on in a few seconds…`, 'info');
    carryTimer = setTimeout(() => {
      if (state.dead || !p.video.ended) return;
      carried = w;
      restart(new Date(w));
    }, Math.max(0, wait));
  }

  // --- transport
  function setPlaying(play) {
    for (const p of players) {
      if (!p.anchors.length) continue;
      if (play) p.video.play().catch(() => {}); else p.video.pause();
    }
    playBtn.replaceChildren(icon(play ? 'pause' : 'play'));
  }

  playBtn.addEventListener('click', () => {
    if (!players.some((p) => p.anchors.length)) { start(); return; }
    setPlaying(players.every((p) => p.video.paused));
  });

  function step(dir) {
    const m = master();
    if (!m || !m.anchors.length) return;
    setPlaying(false);
    const t = m.video.currentTime + dir * m.frameDur;
    const target = m.wallAt(t);
    if (m.buffered(t)) {
      m.video.currentTime = t;
      for (const p of players) if (p !== m) p.seekWall(target);
    } else {
      restart(new Date(target), false);
    }
  }
  backBtn.addEventListener('click', () => step(-1));
  fwdBtn.addEventListener('click', () => step(1));

  function setRate(r) {
    state.rate = r;
    for (const b of rateBtns) b.setAttribute('aria-pressed', String(Number(b.dataset.rate) === r));
    for (const p of players) p.video.playbackRate = r;
  }
  rateBtns.forEach((b) => b.addEventListener('click', () => setRate(Number(b.dataset.rate))));

  // --- window and timeline data
  function setWindowAround(t) {
    const z = ZOOMS.find(([k]) => k === state.zoom) || (state.from ? ['', '', state.to - state.from] : ZOOMS[2]);
    let from, to;
    if (z[0] === 'day') {
      [from, to] = londonDayBounds(t);
    } else {
      from = new Date(t.getTime() - z[2] / 2);
      to = new Date(t.getTime() + z[2] / 2);
    }
    setWindow(from, to);
  }

  function setWindow(from, to) {
    state.from = from;
    state.to = to;
    timeline.setWindow(from, to);
    winLabel.textContent = `${londonDate(from)} ${londonTime(from).slice(0, 5)} – ${londonDate(to) === londonDate(from) ? '' : londonDate(to) + ' '}${londonTime(to).slice(0, 5)} ${londonZone(to)}`;
    loadIndex();
    loadBookmarks();
    loadEvents();
    loadThumbs();
  }

  const inWindow = (t) => state.from && t >= state.from && t <= state.to;

  prevWin.addEventListener('click', () => shiftWindow(-1));
  nextWin.addEventListener('click', () => shiftWindow(1));
  function shiftWindow(dir) {
    const span = state.to - state.from;
    if (state.zoom === 'day') {
      setWindowAround(new Date(state.from.getTime() + dir * 36e5 * (dir > 0 ? 25 : 1)));
      return;
    }
    setWindow(new Date(state.from.getTime() + dir * span * 0.8), new Date(state.to.getTime() + dir * span * 0.8));
  }
  zoomBtns.forEach((b) => b.addEventListener('click', () => {
    state.zoom = b.dataset.zoom;
    zoomBtns.forEach((x) => x.setAttribute('aria-pressed', String(x === b)));
    setWindowAround(currentWall());
  }));

  let indexSeq = 0;
  async function loadIndex() {
    const seq = ++indexSeq;
    if (!state.ids.length || !state.from) return;
    const to = new Date(Math.min(state.to.getTime(), Date.now()));
    const rows = await Promise.all(state.ids.map(async (id) => {
      const row = { camera: id, label: camName(id), spans: [], gaps: [] };
      let [f, t] = clampToGrant(id, state.from, to);
      if (t <= f) { row.error = 'outside your grant'; return row; }
      if (f >= to) return row;
      try {
        const q = new URLSearchParams({ from: rfc3339(f), to: rfc3339(t) });
        const r = await api('GET', `/api/v1/cameras/${encodeURIComponent(id)}/recordings?${q}`, null, { signal: aborts.signal });
        row.spans = r.spans || [];
        row.gaps = r.gaps || [];
        row.places = r.locations || [];
        if (row.places.length > 1) row.label = `${camName(id)} (moved: ${row.places.map((l) => l.name).join(' → ')})`;
        if (!row.spans.length) row.error = 'no footage in this window';
      } catch (e) {
        if (e.name === 'AbortError') return row;
        row.error = errorText(e);
      }
      return row;
    }));
    if (seq !== indexSeq || state.dead) return;
    state.index = rows;
    timeline.setRows(rows);
  }

  // Analytics events of the window, for every camera on screen.
  let eventsSeq = 0;
  async function loadEvents() {
    const seq = ++eventsSeq;
    if (!state.ids.length || !state.from) return;
    const note = document.getElementById('pb-events-note');
    const to = new Date(Math.min(state.to.getTime(), Date.now()));
    const errors = [];
    const lists = await Promise.all(state.ids.map(async (id) => {
      const [f, t] = clampToGrant(id, state.from, to);
      if (t <= f) return [];
      try {
        return (await fetchEvents(id, f, t, aborts.signal)).map((e) => ({ ...e, camera: e.camera || id }));
      } catch (e) {
        if (e.name !== 'AbortError') errors.push(`${camName(id)}: ${errorText(e)}`);
        return [];
      }
    }));
    if (seq !== eventsSeq || state.dead) return;
    state.events = lists.flat();
    timeline.setEvents(state.events);
    if (note) {
      note.textContent = errors.length ? `events: ${errors.join('; ')}` : `${state.events.length} event${state.events.length === 1 ? '' : 's'}`;
      note.className = errors.length ? 'pb-error' : '';
    }
  }

  async function loadBookmarks() {
    if (!ctx.can('bookmarks.read') && !ctx.can('bookmarks.write')) return;
    if (!state.ids.length) return;
    try {
      const q = new URLSearchParams({ camera: state.ids[0], limit: '100' });
      const r = await api('GET', `/api/v1/bookmarks?${q}`, null, { signal: aborts.signal });
      state.bookmarks = (r.bookmarks || []).filter((b) => state.ids.some((id) => (b.cameras || []).includes(id)));
    } catch (e) {
      if (e.name === 'AbortError') return;
      state.bookmarks = [];
    }
    timeline.setBookmarks(state.bookmarks);
    bmSelect.replaceChildren(h('option', { value: '' }, state.bookmarks.length ? 'Jump to bookmark…' : 'No bookmarks'),
      ...state.bookmarks.map((b) => h('option', { value: b.id }, `${londonDate(b.at)} ${londonTime(b.at)} — ${b.note.slice(0, 60)}`)));
  }
  bmSelect.addEventListener('change', () => {
    const b = state.bookmarks.find((x) => String(x.id) === bmSelect.value);
    bmSelect.value = '';
    if (!b) return;
    const t = new Date(b.at);
    if (!inWindow(t)) setWindowAround(t);
    scrub(t);
  });

  bmBtn.addEventListener('click', () => {
    const at = currentWall();
    setPlaying(false);
    let close = () => {};
    const form = bookmarkForm(ctx, {
      at, cameras: state.ids.slice(), cameraList: state.cameras,
      onSaved: (b) => { close(); ctx.toast(`Bookmarked ${londonDateTime(b.at)}`, 'ok'); loadBookmarks(); },
      onCancel: () => close(),
    });
    close = openModal('Bookmark this moment', form);
  });

  // Thumbnails: a handful per window, each a logged access, only after a reason.
  function loadThumbs() {
    if (!state.reason || !state.ids.length || !state.from) { thumbs.replaceChildren(); return; }
    const id = state.ids[0];
    const key = `${id}|${state.from.getTime()}|${state.to.getTime()}|${state.reason}`;
    if (key === state.thumbsKey) return;
    state.thumbsKey = key;
    const end = Math.min(state.to.getTime(), Date.now() - 2000);
    const span = end - state.from.getTime();
    thumbs.replaceChildren();
    if (span <= 0) return;
    const row = (state.index || []).find((r) => r.camera === id);
    for (let i = 0; i < THUMBS; i++) {
      const t = new Date(state.from.getTime() + span * (i + 0.5) / THUMBS);
      if (row && row.spans.length && !row.spans.some((s) => t >= new Date(s.start) && t <= new Date(s.end))) continue;
      const [f] = clampToGrant(id, t, new Date(t.getTime() + 1));
      if (f.getTime() !== t.getTime()) continue;
      const q = new URLSearchParams({ at: rfc3339(t), width: '160', reason: state.reason });
      if (state.ref) q.set('ref', state.ref);
      const img = h('img', { alt: `${camName(id)} at ${londonTime(t)}`, loading: 'lazy', decoding: 'async', width: 160, height: 90 });
      img.addEventListener('error', () => img.classList.add('pb-thumb-missing'), { once: true });
      img.src = `/api/v1/cameras/${encodeURIComponent(id)}/snapshot?${q}`;
      thumbs.append(h('button', { class: 'pb-thumb', type: 'button', title: `Play from ${londonTime(t)}`, onclick: () => scrub(t) },
        img, h('span', {}, londonTime(t))));
    }
  }

  // --- the clock: picture time, playhead, sync, holes
  timers.push(setInterval(() => {
    const m = master();
    if (!m) return;
    for (const p of players) p.skipHole();
    const mw = m.wallNow();
    if (mw) {
      clock.textContent = `${londonDate(mw)} ${londonTimeMs(mw)} ${londonZone(mw)}`;
      clock.dataset.wall = String(Math.round(mw));
      timeline.setPlayhead(new Date(mw));
      if (!m.video.paused && state.to && mw > state.to.getTime() && !timeline.dragging) setWindowAround(new Date(mw + (state.to - state.from) * 0.4));
    }
    for (const p of players) {
      const w = p.wallNow();
      p.timeEl.textContent = w ? londonTime(w) : '';
      const at = placeAt(p.camera, w);
      p.placeEl.textContent = at ? `· at ${at.name}, ${at.address}` : '';
      p.placeEl.title = at ? `${at.ward} (${at.latitude.toFixed(5)}, ${at.longitude.toFixed(5)})` : '';
      p.tile.dataset.wall = w ? String(Math.round(w)) : '';
      // Synchronised playback: every camera follows the master's clock.
      if (p === m || !mw || !p.ready() || !m.ready()) continue;
      if (p.video.playbackRate !== m.video.playbackRate) p.video.playbackRate = m.video.playbackRate;
      if (Math.abs(w - mw) > DRIFT_MS) p.seekWall(mw);
      if (m.video.paused !== p.video.paused) { if (m.video.paused) p.video.pause(); else p.video.play().catch(() => {}); }
    }
  }, 100));
  // The live edge moves: refresh the index while the window includes now.
  timers.push(setInterval(() => { if (state.to && state.to > Date.now() - 60e3) { loadIndex(); loadEvents(); } }, 10e3));

  // --- keyboard
  const onKey = (e) => {
    if (e.target.closest && e.target.closest('input, textarea, select, [contenteditable]')) return;
    if (document.querySelector('.modal')) return;
    if (e.key === ' ') { e.preventDefault(); playBtn.click(); } else if (e.key === ',') step(-1);
    else if (e.key === '.') step(1);
    else if (e.key === 'b' && ctx.can('bookmarks.write')) bmBtn.click();
    else if (/^[1248]$/.test(e.key) && !e.ctrlKey && !e.altKey) setRate(Number(e.key));
  };
  document.addEventListener('keydown', onKey);

  // --- picking
  function start() {
    const id = camSelect.value;
    if (!id) { say('Choose a camera first.', 'error'); camSelect.focus(); return; }
    if (state.ids[0] !== id) {
      state.ids = [id, ...state.ids.slice(1).filter((x) => x !== id)];
      layoutTiles();
      renderChips();
    }
    const at = parseLondonInput(atInput.value);
    if (!at) { say('Give a date and time.', 'error'); atInput.focus(); return; }
    if (at > Date.now()) { say('That time is in the future: there is no footage yet.', 'error'); return; }
    setWindowAround(at);
    restart(at);
  }
  goBtn.addEventListener('click', start);
  atInput.addEventListener('change', () => parseLondonInput(atInput.value));
  camSelect.addEventListener('change', () => {
    const id = camSelect.value;
    if (!id) return;
    const c = state.cameras.find((x) => x.id === id);
    if (c && c.grants && c.grants.length) atInput.value = toLondonInput(c.grants[0].from);
  });
  addSelect.addEventListener('change', () => {
    const id = addSelect.value;
    addSelect.value = '';
    if (!id || state.ids.includes(id) || state.ids.length >= MAX_TILES) return;
    const wall = currentWall();
    const wasPlaying = players.some((p) => !p.video.paused);
    state.ids.push(id);
    layoutTiles();
    renderChips();
    loadIndex();
    loadEvents();
    if (state.reason) restart(wall, wasPlaying);
  });

  // --- go
  (async () => {
    try {
      await loadCameras();
    } catch (e) {
      if (e.name === 'AbortError') return;
      say(errorText(e), 'error');
    }
    if (state.dead) return;
    const want = [params.get('camera'), ...(params.get('cameras') || '').split(',')].map((s) => (s || '').trim()).filter(Boolean);
    state.ids = [...new Set(want)].slice(0, MAX_TILES);
    for (const id of state.ids) if (!state.cameras.some((c) => c.id === id)) state.cameras.push({ id, name: id, grants: police ? [] : null });
    fillSelects();
    let at = params.get('at') ? new Date(params.get('at')) : null;
    if (at && isNaN(at)) at = null;
    if (!at) {
      const c = state.cameras.find((x) => x.id === state.ids[0]);
      at = c && c.grants && c.grants.length ? c.grants[0].from : new Date(Date.now() - 5 * 60e3);
    }
    atInput.value = toLondonInput(at);
    if (!state.cameras.length && police) {
      say('You have no approved evidence requests, so there is no footage you may play. Request footage on the Evidence page.', 'info');
    }
    layoutTiles();
    const grant = police && state.ids.length ? (state.cameras.find((x) => x.id === state.ids[0]) || {}).grants : null;
    const g = grant && (grant.find((x) => at >= x.from && at <= x.to) || grant[0]);
    if (g) {
      // Police: the window is the footage their grant covers.
      const pad = Math.max(10e3, (g.to - g.from) * 0.1);
      state.zoom = '';
      zoomBtns.forEach((x) => x.setAttribute('aria-pressed', 'false'));
      setWindow(new Date(g.from.getTime() - pad), new Date(g.to.getTime() + pad));
    } else {
      setWindowAround(at);
    }
    if (state.ids.length) restart(at);
  })();

  return () => {
    state.dead = true;
    aborts.abort();
    timers.forEach(clearInterval);
    clearTimeout(carryTimer);
    document.removeEventListener('keydown', onKey);
    players.forEach((p) => { p.destroy(); p.masks?.stop(); });
    timeline.destroy();
    document.querySelectorAll('.modal[data-owner="records"]').forEach((m) => m.remove());
  };
}
