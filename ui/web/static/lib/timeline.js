// timeline.js: a horizontal time axis for playback. One row per camera shows
// recorded spans and gaps (with their reason as a tooltip); bookmarks are
// markers; analytics events (motion, tamper) are bands along the foot of
// their camera's track, and a click on one plays from its start; a
// playhead shows the picture time. Click or drag to scrub.
// Built from positioned <div>s (no canvas) so tests and screen readers can
// find the parts: .tl-span, .tl-gap, .tl-bookmark, .tl-event[data-kind]
// [data-id], .tl-playhead, and the track itself (.tl-track[data-camera]).
import { londonTime, londonDateTime, londonDate, londonOffsetMinutes, formatDuration } from './time.js';
import { kindClass, eventTip } from './events.js';

const STEPS = [1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200, 10800, 21600, 43200].map((s) => s * 1000);

function el(tag, cls, text) {
  const e = document.createElement(tag);
  if (cls) e.className = cls;
  if (text !== undefined) e.textContent = text;
  return e;
}

export class Timeline {
  // opts: { onScrub(date), onPreview(date|null) }
  constructor(root, opts = {}) {
    this.root = root;
    this.opts = opts;
    this.from = new Date(Date.now() - 3600e3);
    this.to = new Date();
    this.rows = []; // [{camera, label, spans, gaps}]
    this.bookmarks = [];
    this.events = []; // [{id, camera, kind, zone, start, end, ...}]
    this.playhead = null;
    root.classList.add('timeline');
    root.tabIndex = 0;
    root.setAttribute('role', 'slider');
    root.setAttribute('aria-label', 'Timeline: click or drag to choose the time to play');
    this.axis = el('div', 'tl-axis');
    this.tracks = el('div', 'tl-tracks');
    this.head = el('div', 'tl-playhead');
    this.hover = el('div', 'tl-hover');
    this.hoverLabel = el('div', 'tl-hover-label');
    this.tracks.append(this.head, this.hover, this.hoverLabel);
    root.replaceChildren(this.tracks, this.axis);
    this.dragging = false;
    this.onDown = (e) => {
      if (e.button !== 0) return;
      this.downEvent = e.target.closest ? e.target.closest('.tl-event') : null;
      this.downX = e.clientX;
      this.dragging = true;
      this.tracks.setPointerCapture?.(e.pointerId);
      this.preview(e);
      e.preventDefault();
    };
    this.onMove = (e) => {
      const t = this.timeAt(e.clientX);
      this.showHover(t, e);
      if (this.dragging) this.preview(e);
    };
    this.onUp = (e) => {
      if (!this.dragging) return;
      this.dragging = false;
      let t = this.timeAt(e.clientX);
      this.opts.onPreview?.(null);
      // A click (not a drag) on an event plays from the event's start.
      const ev = this.downEvent;
      this.downEvent = null;
      if (ev && Math.abs(e.clientX - this.downX) < 5) t = new Date(ev.dataset.start);
      if (t) this.opts.onScrub?.(t);
    };
    this.onLeave = () => { this.hover.hidden = true; this.hoverLabel.hidden = true; };
    this.onKey = (e) => {
      if (!this.playhead) return;
      const span = this.to - this.from;
      let d = 0;
      if (e.key === 'ArrowLeft') d = -span / 60;
      if (e.key === 'ArrowRight') d = span / 60;
      if (!d) return;
      e.preventDefault();
      this.opts.onScrub?.(new Date(this.playhead.getTime() + d));
    };
    this.tracks.addEventListener('pointerdown', this.onDown);
    this.tracks.addEventListener('pointermove', this.onMove);
    this.tracks.addEventListener('pointerup', this.onUp);
    this.tracks.addEventListener('pointercancel', this.onUp);
    this.tracks.addEventListener('pointerleave', this.onLeave);
    root.addEventListener('keydown', this.onKey);
    this.onLeave();
  }

  destroy() {
    this.tracks.removeEventListener('pointerdown', this.onDown);
    this.tracks.removeEventListener('pointermove', this.onMove);
    this.tracks.removeEventListener('pointerup', this.onUp);
    this.tracks.removeEventListener('pointercancel', this.onUp);
    this.tracks.removeEventListener('pointerleave', this.onLeave);
    this.root.removeEventListener('keydown', this.onKey);
  }

  preview(e) {
    const t = this.timeAt(e.clientX);
    if (t) {
      this.placeHead(t);
      this.opts.onPreview?.(t);
    }
  }

  timeAt(clientX) {
    const r = this.tracks.getBoundingClientRect();
    if (r.width <= 0) return null;
    const f = Math.min(1, Math.max(0, (clientX - r.left) / r.width));
    return new Date(this.from.getTime() + f * (this.to - this.from));
  }

  // pct is where a moment sits, 0-100 (clamped).
  pct(t) {
    const f = (new Date(t) - this.from) / (this.to - this.from);
    return Math.min(100, Math.max(0, f * 100));
  }

  showHover(t, e) {
    if (!t) return;
    this.hover.hidden = false;
    this.hoverLabel.hidden = false;
    const p = this.pct(t);
    this.hover.style.left = p + '%';
    this.hoverLabel.style.left = p + '%';
    let what = '';
    const target = e && e.target;
    if (target && target.dataset && target.dataset.tip) what = ' — ' + target.dataset.tip;
    this.hoverLabel.textContent = londonTime(t) + what;
  }

  setWindow(from, to) {
    this.from = new Date(from);
    this.to = new Date(to);
    this.root.setAttribute('aria-valuemin', String(this.from.getTime()));
    this.root.setAttribute('aria-valuemax', String(this.to.getTime()));
    this.render();
  }

  // rows: [{camera, label, spans:[{start,end}], gaps:[{start,end,reason}], error}]
  setRows(rows) { this.rows = rows; this.render(); }

  setBookmarks(list) { this.bookmarks = list || []; this.render(); }

  // events: [{id, camera, kind, zone, start, end (null while open), ...}]
  setEvents(list) { this.events = list || []; this.render(); }

  setPlayhead(t) {
    this.playhead = t ? new Date(t) : null;
    if (!this.dragging) this.placeHead(this.playhead);
    if (this.playhead) {
      this.root.setAttribute('aria-valuenow', String(this.playhead.getTime()));
      this.root.setAttribute('aria-valuetext', londonDateTime(this.playhead));
    }
  }

  placeHead(t) {
    const inside = t && t >= this.from && t <= this.to;
    this.head.hidden = !inside;
    if (inside) this.head.style.left = this.pct(t) + '%';
  }

  render() {
    // Tracks: one per camera.
    for (const old of this.tracks.querySelectorAll('.tl-track, .tl-bookmark')) old.remove();
    const w0 = this.from.getTime(), w1 = this.to.getTime();
    const rows = this.rows.length ? this.rows : [{ camera: '', label: '', spans: [], gaps: [] }];
    rows.forEach((row) => {
      const tr = el('div', 'tl-track');
      tr.dataset.camera = row.camera;
      if (row.label && rows.length > 1) tr.append(el('span', 'tl-label', row.label));
      if (row.error) {
        const e = el('span', 'tl-error', row.error);
        tr.append(e);
      }
      const add = (cls, a, b, tip) => {
        const s = Math.max(w0, new Date(a).getTime()), f = Math.min(w1, new Date(b).getTime());
        if (f <= s) return;
        const d = el('div', cls);
        d.style.left = ((s - w0) / (w1 - w0)) * 100 + '%';
        d.style.width = Math.max(0.15, ((f - s) / (w1 - w0)) * 100) + '%';
        d.dataset.tip = tip;
        d.dataset.start = new Date(a).toISOString();
        d.dataset.end = new Date(b).toISOString();
        d.title = tip;
        tr.append(d);
      };
      for (const s of row.spans || []) {
        add('tl-span', s.start, s.end, `recorded ${londonTime(s.start)}–${londonTime(s.end)} (${formatDuration(new Date(s.end) - new Date(s.start))})`);
      }
      for (const g of row.gaps || []) {
        add('tl-gap', g.start, g.end, `gap ${londonTime(g.start)}–${londonTime(g.end)}: ${g.reason || 'no reason recorded'}`);
      }
      for (const ev of this.events) {
        if (ev.camera && row.camera && ev.camera !== row.camera) continue;
        const end = ev.end ? new Date(ev.end) : new Date(Math.min(Date.now(), w1));
        const s = Math.max(w0, new Date(ev.start).getTime()), f = Math.min(w1, Math.max(end.getTime(), new Date(ev.start).getTime() + 1));
        if (f < s || s > w1) continue;
        const kind = kindClass(ev.kind);
        const d = el('div', `tl-event tl-event-${kind}`);
        d.style.left = ((s - w0) / (w1 - w0)) * 100 + '%';
        d.style.width = Math.max(0.3, ((f - s) / (w1 - w0)) * 100) + '%';
        d.dataset.kind = kind;
        d.dataset.id = String(ev.id);
        d.dataset.start = new Date(ev.start).toISOString();
        d.dataset.tip = eventTip(ev);
        d.title = d.dataset.tip + ' — click to play from its start';
        tr.append(d);
      }
      this.tracks.insertBefore(tr, this.head);
    });
    for (const b of this.bookmarks) {
      const t = new Date(b.at);
      if (t < this.from || t > this.to) continue;
      const m = el('div', 'tl-bookmark');
      m.style.left = this.pct(t) + '%';
      m.dataset.tip = `bookmark ${londonTime(t)}: ${b.note}`;
      m.title = m.dataset.tip;
      m.dataset.id = b.id;
      this.tracks.append(m);
    }
    this.renderAxis();
    this.placeHead(this.playhead);
  }

  renderAxis() {
    this.axis.replaceChildren();
    const span = this.to - this.from;
    const width = this.tracks.getBoundingClientRect().width || 800;
    const want = span / Math.max(2, Math.floor(width / 90));
    const step = STEPS.find((s) => s >= want) || STEPS[STEPS.length - 1];
    // Ticks on round London times: whole-hour offsets keep minute grids
    // aligned; longer steps align to the London clock.
    const off = londonOffsetMinutes(this.from) * 60000;
    let t = Math.ceil((this.from.getTime() + off) / step) * step - off;
    let lastDay = '';
    for (let i = 0; t <= this.to.getTime() && i < 200; t += step, i++) {
      const tick = el('div', 'tl-tick');
      tick.style.left = this.pct(t) + '%';
      const label = step < 60000 ? londonTime(t) : londonTime(t).slice(0, 5);
      const day = londonDate(t);
      tick.textContent = day !== lastDay && span > 6 * 3600e3 ? `${day.slice(0, 10)} ${label}` : label;
      lastDay = day;
      this.axis.append(tick);
    }
  }
}
