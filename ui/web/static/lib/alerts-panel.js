// alerts-panel.js: the operator's unacknowledged alerts, on the wall page.
//
//   const panel = new AlertsPanel(container, { toast, cameraName(id), onShow(camera) });
//   panel.start(); ... panel.stop();
//
// The list starts from GET /api/v1/alerts?unacked=1 and then follows
// EventSource /api/v1/alerts/stream ("alert": a new one, "ack": one was
// acknowledged, by anyone). Newest first, coloured by severity, with the
// alert's thumbnail. Acknowledging needs a note (POST .../ack, with the
// CSRF token through api()). A sound option beeps (WebAudio) on each new
// alert: off by default, remembered in this browser.
//
// Hooks for tests: #alerts-panel[data-stream] (connecting|open|retrying|
// unavailable) [data-beeps], #alerts-count, #alerts-sound[aria-pressed],
// #alerts-list li.alert[data-id][data-severity], .alert-ack, .alert-note,
// .alert-ack-ok.
//
// A number-plate alert (kind "anpr": rule "watch-list" or a behaviour
// rule's name) is a card of its own (li.alert-anpr[data-plate]): the
// vehicle picture bigger, the plate as on the plate (.alert-plate, and
// .alert-plate-read when a near match read it otherwise), and links to
// play that camera at that time (a.alert-play, #/playback?camera=&at=)
// and to the plate's reads (a.alert-reads, #/anpr?plate=: the Plates
// page, which asks the reason first).
import { api, errorText, h, loadCSS } from '../api.js';
import { icon } from '../icons.js';
import { londonTime, londonDate } from './time.js';
import { alertPlate, plateText, playbackLink, readsLink } from '../pages/anpr.js';

const SOUND_KEY = 'vigil.alerts.sound';
const RETRY_MS = 15000;
const MAX_SHOWN = 200;
const SEVERITY_RANK = { critical: 0, warning: 1, info: 2 };

export class AlertsPanel {
  // canPlay and canReads say whether the ANPR cards link to playback and
  // to the plate's reads (the wall's users, operators and supervisors,
  // may do both).
  constructor(root, { toast, cameraName, onShow, canThumb = true, canPlay = canThumb, canReads = true } = {}) {
    this.root = root;
    this.canPlay = canPlay;
    this.canReads = canReads;
    this.toast = toast || (() => {});
    this.cameraName = cameraName || ((id) => id);
    this.onShow = onShow || (() => {});
    this.canThumb = canThumb;
    this.alerts = new Map(); // id → alert (unacked only)
    this.error = ''; // why the list could not be loaded, until it can
    this.es = null;
    this.retryTimer = null;
    this.abort = new AbortController();
    this.alive = false;
    this.audio = null;
    this.beeps = 0;
    this.sound = readSound();

    this.count = h('span', { class: 'badge alerts-count', id: 'alerts-count', 'aria-label': 'Unacknowledged alerts' }, '0');
    this.soundBtn = h('button', { class: 'btn btn-small btn-ghost', type: 'button', id: 'alerts-sound', onclick: () => this.toggleSound() });
    this.state = h('span', { class: 'alerts-state muted', id: 'alerts-state' });
    this.list = h('ul', { class: 'alerts-list', id: 'alerts-list', 'aria-live': 'polite' });
    root.classList.add('alerts-panel');
    root.id = 'alerts-panel';
    root.setAttribute('aria-label', 'Alerts');
    root.replaceChildren(
      h('div', { class: 'alerts-head' }, icon('bell'), h('strong', {}, 'Alerts'), this.count, this.state, h('span', { class: 'spacer' }), this.soundBtn),
      this.list);
    this.drawSound();
    this.setStream('connecting');
    this.draw();
  }

  start() {
    this.alive = true;
    this.load().then(() => this.connect());
  }

  stop() {
    this.alive = false;
    this.abort.abort();
    clearTimeout(this.retryTimer);
    if (this.es) this.es.close();
    this.es = null;
    if (this.audio) this.audio.close().catch(() => {});
    this.audio = null;
  }

  setStream(s) {
    this.root.dataset.stream = s;
    this.state.textContent = { connecting: 'connecting…', open: 'live', retrying: 'reconnecting…', unavailable: 'not live' }[s] || '';
    this.state.title = s === 'unavailable' ? 'The alert stream is not available; the list is refreshed every 15 s.' : '';
  }

  async load() {
    try {
      const res = await api('GET', '/api/v1/alerts?unacked=1&limit=' + MAX_SHOWN, null, { signal: this.abort.signal });
      if (!this.alive) return;
      const seen = new Set();
      for (const a of res.alerts || []) {
        if (a.acked) continue;
        seen.add(a.id);
        this.alerts.set(a.id, a);
      }
      for (const id of [...this.alerts.keys()]) if (!seen.has(id)) this.alerts.delete(id);
      this.error = '';
      this.draw();
    } catch (e) {
      if (!this.alive || e.name === 'AbortError') return;
      this.error = e.status === 404 ? 'Alerts are not available on this server.' : 'Cannot load alerts: ' + errorText(e);
      this.draw();
    }
  }

  connect() {
    if (!this.alive) return;
    if (typeof EventSource === 'undefined') { this.setStream('unavailable'); this.poll(); return; }
    const es = new EventSource('/api/v1/alerts/stream');
    this.es = es;
    let opened = false;
    es.addEventListener('open', () => {
      if (this.es !== es) return;
      // A reconnect may have missed alerts: reload the list.
      if (opened) this.load();
      opened = true;
      this.setStream('open');
    });
    es.addEventListener('alert', (ev) => this.onAlert(ev));
    es.addEventListener('ack', (ev) => this.onAck(ev));
    // The server ends the stream when the sign-in ends: reloading the list
    // then meets the 401 that sends the page to the sign-in.
    es.addEventListener('end', () => {
      if (this.es !== es) return;
      es.close();
      this.es = null;
      this.setStream('retrying');
      this.load().then(() => this.poll());
    });
    es.addEventListener('error', () => {
      if (this.es !== es || !this.alive) return;
      if (es.readyState === EventSource.CLOSED) {
        // Refused (signed out, 404, 403): try again later, keep the list fresh.
        es.close();
        this.es = null;
        this.setStream(opened ? 'retrying' : 'unavailable');
        this.poll();
      } else {
        this.setStream('retrying');
      }
    });
  }

  poll() {
    clearTimeout(this.retryTimer);
    this.retryTimer = setTimeout(async () => {
      if (!this.alive) return;
      await this.load();
      this.connect();
    }, RETRY_MS);
  }

  onAlert(ev) {
    const a = parse(ev.data);
    if (!a || a.id === undefined) return;
    if (a.acked) { this.onAck(ev); return; }
    const isNew = !this.alerts.has(a.id);
    this.alerts.set(a.id, a);
    this.draw(isNew ? a.id : null);
    if (isNew) {
      this.beep(a.severity);
      this.toast(`Alert: ${this.cameraName(a.camera)} — ${a.message || a.rule || a.kind}`, a.severity === 'critical' ? 'error' : 'warn');
    }
  }

  onAck(ev) {
    const a = parse(ev.data);
    if (!a || !this.alerts.has(a.id)) return;
    this.alerts.delete(a.id);
    this.draw();
  }

  sorted() {
    return [...this.alerts.values()].sort((a, b) => (Date.parse(b.at) - Date.parse(a.at)) || (b.id - a.id));
  }

  draw(fresh = null) {
    const open = this.list.querySelector('.alert-ack-form');
    const openId = open ? Number(open.closest('li').dataset.id) : null;
    const keep = open ? open.querySelector('textarea').value : '';
    const items = this.sorted().slice(0, MAX_SHOWN).map((a) => this.item(a, a.id === fresh));
    const none = this.error ? h('li', { class: 'form-error alerts-error', id: 'alerts-error' }, this.error)
      : h('li', { class: 'alerts-empty muted', id: 'alerts-empty' }, 'No unacknowledged alerts.');
    this.list.replaceChildren(...(items.length ? items : [none]));
    this.count.textContent = String(this.alerts.size);
    this.count.classList.toggle('alerts-count-hot', this.alerts.size > 0);
    this.root.dataset.count = String(this.alerts.size);
    if (openId !== null && this.alerts.has(openId)) {
      const li = this.list.querySelector(`li[data-id="${openId}"]`);
      if (li) this.openAck(li, this.alerts.get(openId), keep);
    }
  }

  item(a, fresh) {
    const sev = SEVERITY_RANK[a.severity] !== undefined ? a.severity : 'info';
    const thumb = a.thumbnail && this.canThumb
      ? h('img', { class: 'alert-thumb', alt: `${this.cameraName(a.camera)} at ${londonTime(a.at)}`, loading: 'lazy', decoding: 'async', src: a.thumbnail })
      : h('span', { class: 'alert-thumb alert-thumb-none' }, icon('camera'));
    if (thumb.tagName === 'IMG') thumb.addEventListener('error', () => thumb.classList.add('alert-thumb-missing'), { once: true });
    const anpr = a.kind === 'anpr';
    const plate = anpr ? alertPlate(a) : null;
    if (anpr) loadCSS('/static/pages/anpr.css');
    if (plate && thumb.tagName === 'IMG') thumb.alt = `${plateText(plate.plate)} on ${this.cameraName(a.camera)} at ${londonTime(a.at)}`;
    const li = h('li', { class: `alert alert-${sev}${anpr ? ' alert-anpr' : ''}${fresh ? ' alert-fresh' : ''}`, data: { id: String(a.id), severity: sev, camera: a.camera || '', ...(plate ? { plate: plate.plate } : {}) } },
      thumb,
      h('div', { class: 'alert-body' },
        h('div', { class: 'alert-top' },
          h('strong', { class: 'alert-cam', title: a.camera }, this.cameraName(a.camera)),
          h('span', { class: 'spacer' }),
          h('time', { class: 'alert-time mono', datetime: a.at, title: londonDate(a.at) + ' ' + londonTime(a.at) }, londonTime(a.at))),
        plate ? h('div', { class: 'alert-plate-line' },
          h('strong', { class: 'anpr-plate alert-plate' }, plateText(plate.plate)),
          plate.read ? h('span', { class: 'alert-plate-read' }, 'read as ', h('span', { class: 'mono' }, plateText(plate.read))) : null) : null,
        h('div', { class: 'alert-msg', title: [a.kind, a.rule].filter(Boolean).join(' · ') }, a.message || `${a.kind}${a.rule ? ': ' + a.rule : ''}`),
        anpr ? this.anprLinks(a, plate) : null,
        h('div', { class: 'alert-actions' },
          h('span', { class: `badge alert-sev alert-sev-${sev}` }, sev),
          h('span', { class: 'spacer' }),
          a.camera ? h('button', { class: 'btn btn-small btn-ghost alert-show', type: 'button', title: 'Show this camera on the selected tile', 'aria-label': 'Show this camera on the selected tile', onclick: () => this.onShow(a.camera) }, icon('wall')) : '',
          h('button', { class: 'btn btn-small alert-ack', type: 'button', title: 'Acknowledge, with a note', onclick: () => this.openAck(li, a) }, icon('check'), 'Ack'))));
    return li;
  }

  // anprLinks: play the camera at the alert's time (a few seconds before,
  // to see the vehicle come), and the plate's reads (a near match searches
  // look-alikes too), from a day before the alert.
  anprLinks(a, plate) {
    const at = new Date(Date.parse(a.at) - 5000);
    const links = [];
    if (this.canPlay && a.camera && !isNaN(at)) {
      links.push(h('a', { class: 'alert-play', href: playbackLink(a.camera, at), title: 'Play this camera at the time of the alert', 'aria-label': `Play ${this.cameraName(a.camera)} at ${londonTime(a.at)}` }, icon('play'), 'Play'));
    }
    if (this.canReads && plate) {
      const from = new Date(Date.parse(a.at) - 24 * 3600e3);
      links.push(h('a', { class: 'alert-reads', href: readsLink(plate.plate, { mode: plate.near ? 'fuzzy' : 'exact', from: isNaN(from) ? undefined : from }), title: `Search the reads of ${plateText(plate.plate)} (logged, with a reason)`, 'aria-label': `Reads of ${plateText(plate.plate)}` }, icon('search'), 'Reads'));
    }
    return links.length ? h('div', { class: 'alert-links' }, links) : null;
  }

  openAck(li, a, text = '') {
    if (li.querySelector('.alert-ack-form')) return;
    const note = h('textarea', { class: 'alert-note', rows: '2', maxlength: '500', required: true, placeholder: 'What was done (required)', 'aria-label': 'Acknowledgement note' });
    note.value = text;
    const err = h('p', { class: 'form-error alert-ack-error', role: 'alert' });
    const ok = h('button', { class: 'btn btn-small btn-primary alert-ack-ok', type: 'submit' }, 'Acknowledge');
    // novalidate: the panel says itself that the note is required.
    const form = h('form', { class: 'alert-ack-form', novalidate: true }, note, err,
      h('div', { class: 'toolbar' }, ok, h('button', { class: 'btn btn-small', type: 'button', onclick: () => form.remove() }, 'Cancel')));
    form.addEventListener('submit', async (ev) => {
      ev.preventDefault();
      const n = note.value.trim();
      if (!n) { err.textContent = 'A note is required: say what was done.'; note.focus(); return; }
      ok.disabled = true;
      err.textContent = '';
      try {
        await api('POST', `/api/v1/alerts/${encodeURIComponent(a.id)}/ack`, { note: n });
        this.alerts.delete(a.id);
        this.draw();
        this.toast('Alert acknowledged', 'ok');
      } catch (e) {
        if (e.status === 409) {
          this.alerts.delete(a.id);
          this.draw();
          this.toast('Someone else acknowledged that alert already', 'info');
          return;
        }
        err.textContent = errorText(e);
        ok.disabled = false;
      }
    });
    li.querySelector('.alert-body').append(form);
    note.focus();
  }

  // ---- sound ----
  drawSound() {
    this.soundBtn.replaceChildren(icon(this.sound ? 'sound' : 'mute'));
    this.soundBtn.setAttribute('aria-pressed', String(this.sound));
    this.soundBtn.title = this.sound ? 'Sound on for new alerts (click to mute)' : 'Sound off (click to beep on new alerts)';
    this.soundBtn.setAttribute('aria-label', this.soundBtn.title);
  }

  toggleSound() {
    this.sound = !this.sound;
    try { localStorage.setItem(SOUND_KEY, this.sound ? '1' : '0'); } catch { /* private mode */ }
    this.drawSound();
    // A click is the user gesture browsers want before audio may start.
    if (this.sound) this.beep('info');
  }

  beep(severity) {
    if (!this.sound) return;
    try {
      const Ctx = window.AudioContext || window.webkitAudioContext;
      if (!Ctx) return;
      if (!this.audio) this.audio = new Ctx();
      const ac = this.audio;
      if (ac.state === 'suspended') ac.resume().catch(() => {});
      const n = severity === 'critical' ? 3 : severity === 'warning' ? 2 : 1;
      for (let i = 0; i < n; i++) {
        const t = ac.currentTime + i * 0.22;
        const osc = ac.createOscillator();
        const gain = ac.createGain();
        osc.type = 'sine';
        osc.frequency.value = severity === 'critical' ? 1046 : 880;
        gain.gain.setValueAtTime(0.0001, t);
        gain.gain.exponentialRampToValueAtTime(0.25, t + 0.01);
        gain.gain.exponentialRampToValueAtTime(0.0001, t + 0.16);
        osc.connect(gain).connect(ac.destination);
        osc.start(t);
        osc.stop(t + 0.18);
      }
      this.beeps++;
      this.root.dataset.beeps = String(this.beeps);
    } catch { /* no audio: the list and toast still show it */ }
  }
}

function readSound() {
  try { return localStorage.getItem(SOUND_KEY) === '1'; } catch { return false; }
}

function parse(text) {
  try { return JSON.parse(text); } catch { return null; }
}
