// PTZ controls on a wall tile, for a steerable dome (camera.ptz) and a
// person with cameras.ptz. A toggle button on the tile opens a small
// overlay: the lock status line, an on-screen pad (8 directions, zoom in
// and out, stop, home), the dome's presets and "Save preset".
//
//   const c = new PTZControls(tileEl, video, { camera, me, canOverride, toast });
//   c.toggle(); ... c.destroy();
//
// The server stops a continuous move by itself about a second after the
// last continuous command (the dead-man). So while a pad button or a key
// is held this repeats the same continuous command every REPEAT_MS, and
// sends stop on release, pointercancel, blur, the page being hidden or
// left, closing the controls and destroy. Requests go one at a time, the
// latest wins: a stop is never overtaken by an older move.
//
// Keys while the tile (or a control in it) has the focus and the controls
// are open: arrows pan and tilt (two together: diagonal), + / - or
// PageUp / PageDown zoom, Home goes home, Escape stops. The browser's key
// repeat is ignored: the hold repeats at its own pace.
//
// Click to centre is an approximation, not a measurement: ONVIF has no
// standard for it and the camera does not tell us its field of view.
// Shift+click on the picture sends a relative move of (x, -y) times
// CENTRE_GAIN / (1 + CENTRE_ZOOM * zoom), x and y from -1 to 1 from the
// picture's centre, zoom the dome's last known zoom (0 wide .. 1 tele):
// it assumes the wide picture spans about a quarter of the pan range and
// that zooming in narrows it about fourfold. A point near the edge may
// need a second click.
//
// Hooks for tests: .ptz-toggle, .ptz-panel[data-camera][data-lock=free|
// mine|other][data-moving], .ptz-status, .ptz-take, .ptz-release,
// .ptz-pad button[data-ptz=up|down|left|right|up-left|...|zoom-in|
// zoom-out|stop|home], .ptz-preset[data-preset], .ptz-save-preset.
import { api, csrf, errorText, h, APIError } from '../api.js';
import { icon } from '../icons.js';
import { modal } from './modal.js';
import { contentBox } from './masks.js';

export const REPEAT_MS = 250; // well inside the server's 1 s dead-man
const REFRESH_MS = 3000; // the lock and presets, while the controls are open
const SPEED = 0.5; // pan/tilt velocity of the pad and the arrows (-1..1)
const ZOOM_SPEED = 0.5;
export const CENTRE_GAIN = 0.25;
export const CENTRE_ZOOM = 3;

// The pad: name, [pan, tilt, zoom] velocity (1 = full speed), label, icon
// rotation in degrees (the arrow icon points up).
const DIRS = [
  ['up-left', [-1, 1, 0], 'Up and left', -45], ['up', [0, 1, 0], 'Up', 0], ['up-right', [1, 1, 0], 'Up and right', 45],
  ['left', [-1, 0, 0], 'Left', -90], null, ['right', [1, 0, 0], 'Right', 90],
  ['down-left', [-1, -1, 0], 'Down and left', -135], ['down', [0, -1, 0], 'Down', 180], ['down-right', [1, -1, 0], 'Down and right', 135],
];
const KEYS = {
  ArrowUp: [0, 1, 0], ArrowDown: [0, -1, 0], ArrowLeft: [-1, 0, 0], ArrowRight: [1, 0, 0],
  '+': [0, 0, 1], '=': [0, 0, 1], PageUp: [0, 0, 1], '-': [0, 0, -1], _: [0, 0, -1], PageDown: [0, 0, -1],
};

// Every open controller, so leaving the page stops each dome it moves.
const live = new Set();
let hooked = false;
function hookPage() {
  if (hooked) return;
  hooked = true;
  // pagehide: close, reload, navigation away. A keepalive request outlives
  // the page; should it be lost, the server's dead-man stops the dome.
  window.addEventListener('pagehide', () => { for (const c of [...live]) c.release({ keepalive: true }); });
  document.addEventListener('visibilitychange', () => {
    if (document.visibilityState === 'hidden') for (const c of [...live]) c.release();
  });
  window.addEventListener('blur', () => { for (const c of [...live]) c.release(); });
}

const clamp = (v) => Math.max(-1, Math.min(1, v));
const round = (v) => Math.round(v * 1000) / 1000;

export class PTZControls {
  constructor(tile, video, { camera, me, canOverride = false, toast = () => {} }) {
    this.tile = tile;
    this.video = video;
    this.camera = camera;
    this.me = me;
    this.canOverride = canOverride;
    this.toast = toast;
    this.open = false;
    this.state = { lock: {}, presets: [], position: null, moving: false };
    this.holds = new Map(); // source (pointer id or key) -> [pan, tilt, zoom]
    this.moving = null; // the continuous command being repeated, or null
    this.repeat = null;
    this.refreshTimer = null;
    this.pending = null; // the next command to send (latest wins)
    this.inflight = false;
    this.gen = 0; // bumps on destroy: answers for a gone controller are dropped
    this.abort = new AbortController();
    this.path = `/api/v1/cameras/${encodeURIComponent(camera)}/ptz`;
    hookPage();
    this.build();
  }

  build() {
    const stop = (ev) => ev.stopPropagation();
    this.toggleBtn = h('button', {
      class: 'btn btn-small btn-ghost tile-ptz ptz-toggle', type: 'button', 'aria-pressed': 'false',
      title: 'Steer this camera (p)', 'aria-label': 'Steer this camera: pan, tilt, zoom and presets',
      onclick: (ev) => { ev.stopPropagation(); this.toggle(); },
    }, icon('ptz'));
    this.toggleBtn.addEventListener('dblclick', stop);
    this.status = h('span', { class: 'ptz-status', role: 'status', 'aria-live': 'polite' }, 'Checking who is steering…');
    this.takeBtn = h('button', { class: 'btn btn-small btn-primary ptz-take', type: 'button', hidden: true,
      title: 'Take the camera from whoever steers it', onclick: () => this.take(true) }, 'Take over');
    this.releaseBtn = h('button', { class: 'btn btn-small ptz-release', type: 'button', hidden: true,
      title: 'Give up steering so others can', onclick: () => this.take(false) }, 'Give up');
    const pad = h('div', { class: 'ptz-pad', role: 'group', 'aria-label': 'Pan and tilt' },
      DIRS.map((d) => {
        if (!d) {
          return this.padButton('stop', 'Stop', icon('stop'), null, { click: () => this.stopNow() });
        }
        const [name, vec, label, deg] = d;
        const ic = icon('arrow');
        ic.classList.add('ptz-rot-' + String(deg).replace('-', 'm'));
        return this.padButton(name, label, ic, vec);
      }));
    const zoom = h('div', { class: 'ptz-zoom', role: 'group', 'aria-label': 'Zoom and home' },
      this.padButton('zoom-in', 'Zoom in (+ or Page Up)', icon('zoom-in'), [0, 0, 1]),
      this.padButton('zoom-out', 'Zoom out (- or Page Down)', icon('zoom-out'), [0, 0, -1]),
      this.padButton('home', 'Home position (Home)', icon('home'), null, { click: () => this.command({ action: 'home' }) }));
    this.presetList = h('div', { class: 'ptz-presets', role: 'group', 'aria-label': 'Presets' });
    this.saveBtn = h('button', { class: 'btn btn-small ptz-save-preset', type: 'button', title: 'Save where the camera points as a preset',
      onclick: () => this.savePreset() }, icon('save'), 'Save preset');
    this.panel = h('div', {
      class: 'ptz-panel', role: 'group', 'aria-label': 'Steer the camera', hidden: true, data: { camera: this.camera, lock: 'free' },
    },
    h('div', { class: 'ptz-head' }, this.status, this.takeBtn, this.releaseBtn,
      h('button', { class: 'btn btn-small btn-ghost ptz-close', type: 'button', title: 'Close the controls', 'aria-label': 'Close the steering controls',
        onclick: () => this.toggle(false) }, icon('close'))),
    h('div', { class: 'ptz-body' }, pad, zoom),
    h('div', { class: 'ptz-foot' }, this.presetList, this.saveBtn),
    h('p', { class: 'ptz-help muted' }, 'Hold a button or the arrow keys; + / - zoom; Shift+click the picture to move towards a point (approximate).'));
    // Clicks inside the controls are not the tile's (select, maximise).
    for (const type of ['click', 'dblclick', 'pointerdown', 'dragstart']) this.panel.addEventListener(type, stop);
    // Nor is a drag begun on them: the tile is draggable (to move the
    // camera to another tile), and a drag would cancel a held button.
    this.pressed = false;
    this.panel.addEventListener('pointerdown', () => { this.pressed = true; }, true);
    this.onPointerEnd = () => { this.pressed = false; };
    this.onDragStart = (ev) => { if (this.pressed) { ev.preventDefault(); ev.stopPropagation(); } };
    window.addEventListener('pointerup', this.onPointerEnd, true);
    window.addEventListener('pointercancel', this.onPointerEnd, true);
    this.tile.addEventListener('dragstart', this.onDragStart, true);
    this.tile.append(this.toggleBtn, this.panel);
    this.onKeyDown = (ev) => this.keyDown(ev);
    this.onKeyUp = (ev) => this.keyUp(ev);
    this.onFocusOut = (ev) => { if (!this.tile.contains(ev.relatedTarget)) this.releaseKeys(); };
    this.onPictureClick = (ev) => this.pictureClick(ev);
    this.tile.addEventListener('keydown', this.onKeyDown);
    this.tile.addEventListener('keyup', this.onKeyUp);
    this.tile.addEventListener('focusout', this.onFocusOut);
    this.tile.addEventListener('click', this.onPictureClick, true);
  }

  // padButton makes a pad button: held (vec) or clicked (on.click).
  padButton(name, label, ic, vec, on = {}) {
    const b = h('button', { class: 'btn btn-small ptz-btn', type: 'button', title: label, 'aria-label': label, data: { ptz: name } }, ic);
    if (on.click) {
      b.addEventListener('click', on.click);
      return b;
    }
    const src = 'pad:' + name;
    b.addEventListener('pointerdown', (ev) => {
      if (ev.button !== 0) return;
      ev.preventDefault(); // no text selection, no focus theft on touch
      try { b.setPointerCapture(ev.pointerId); } catch { /* a synthetic pointer */ }
      this.hold(src, vec);
    });
    const up = () => this.unhold(src);
    for (const type of ['pointerup', 'pointercancel', 'lostpointercapture']) b.addEventListener(type, up);
    b.addEventListener('contextmenu', (ev) => ev.preventDefault()); // a long touch
    // Space or Enter on a focused pad button holds it too.
    b.addEventListener('keydown', (ev) => {
      if (ev.key !== ' ' && ev.key !== 'Enter') return;
      ev.preventDefault();
      ev.stopPropagation();
      if (!ev.repeat) this.hold('key:' + name, vec);
    });
    b.addEventListener('keyup', (ev) => {
      if (ev.key !== ' ' && ev.key !== 'Enter') return;
      ev.preventDefault();
      ev.stopPropagation();
      this.unhold('key:' + name);
    });
    b.addEventListener('blur', () => this.unhold('key:' + name));
    return b;
  }

  toggle(open = !this.open) {
    if (open === this.open) return;
    this.open = open;
    this.panel.hidden = !open;
    this.toggleBtn.setAttribute('aria-pressed', String(open));
    this.tile.classList.toggle('ptz-open', open);
    if (open) {
      live.add(this);
      this.refresh();
      this.refreshTimer = setInterval(() => { if (document.visibilityState !== 'hidden') this.refresh(); }, REFRESH_MS);
    } else {
      this.release();
      live.delete(this);
      clearInterval(this.refreshTimer);
      this.refreshTimer = null;
    }
  }

  // ---- moving ----

  // hold starts (or changes) a continuous move for one source: a pad
  // button, a key. Several sources add up (up and right: diagonal).
  hold(src, vec) {
    if (!this.open) return;
    this.holds.set(src, vec);
    this.steer();
  }

  unhold(src) {
    if (!this.holds.delete(src)) return;
    this.steer();
  }

  releaseKeys() {
    for (const k of [...this.holds.keys()]) if (k.startsWith('key:')) this.holds.delete(k);
    this.steer();
  }

  // release lets go of everything held and stops a move under way.
  release({ keepalive = false } = {}) {
    this.holds.clear();
    if (keepalive) {
      if (this.moving) {
        this.halt();
        this.beacon({ action: 'stop' });
      }
      return;
    }
    this.steer();
  }

  // steer sends what the sources held add up to: a continuous move
  // (repeated), or a stop when nothing is held any more.
  steer() {
    let p = 0, t = 0, z = 0;
    for (const [vp, vt, vz] of this.holds.values()) { p += vp; t += vt; z += vz; }
    const cmd = { action: 'continuous', pan: round(clamp(p) * SPEED), tilt: round(clamp(t) * SPEED), zoom: round(clamp(z) * ZOOM_SPEED) };
    if (cmd.pan === 0 && cmd.tilt === 0 && cmd.zoom === 0) {
      if (this.moving) {
        this.halt();
        this.send({ action: 'stop' });
      }
      return;
    }
    const same = this.moving && this.moving.pan === cmd.pan && this.moving.tilt === cmd.tilt && this.moving.zoom === cmd.zoom;
    if (same) return;
    this.moving = cmd;
    this.panel.dataset.moving = 'true';
    this.send(cmd);
    clearInterval(this.repeat);
    // The heartbeat: the same command while held, or the dome stops.
    this.repeat = setInterval(() => { if (this.moving && !this.pending) this.send(this.moving); }, REPEAT_MS);
  }

  // halt forgets the move (no more repeats) without telling anyone.
  halt() {
    this.moving = null;
    clearInterval(this.repeat);
    this.repeat = null;
    delete this.panel.dataset.moving;
  }

  stopNow() {
    this.holds.clear();
    this.halt();
    this.send({ action: 'stop' });
  }

  // send queues cmd: one request at a time, the latest waiting one wins.
  send(cmd) {
    this.pending = cmd;
    if (!this.inflight) this.pump();
  }

  // pump sends until nothing waits. A stop queued by destroy() is still
  // sent; only its answer is dropped.
  async pump() {
    this.inflight = true;
    try {
      while (this.pending) {
        const cmd = this.pending;
        this.pending = null;
        await this.post(cmd, this.gen);
      }
    } finally {
      this.inflight = false;
    }
  }

  async post(cmd, gen) {
    try {
      const res = await api('POST', this.path, cmd);
      if (gen !== this.gen) return;
      if (res && res.lock) this.drawLock(res.lock);
      if (cmd.action !== 'continuous' && cmd.action !== 'stop') this.refresh();
    } catch (e) {
      if (gen !== this.gen) return;
      // Whatever went wrong, stop repeating: the dome stops by itself.
      if (cmd.action === 'continuous') { this.holds.clear(); this.halt(); }
      if (e instanceof APIError && e.status === 409) {
        if (e.body && e.body.lock) this.drawLock(e.body.lock);
        this.toast(errorText(e), 'warn');
      } else if (!(e instanceof APIError && e.status === 401)) {
        this.toast(`Cannot steer ${this.camera}: ${errorText(e)}`, 'error');
      }
    }
  }

  // beacon sends a command that must outlive the page (pagehide).
  beacon(cmd) {
    try {
      fetch(this.path, {
        method: 'POST', keepalive: true, credentials: 'same-origin', body: JSON.stringify(cmd),
        headers: { 'Content-Type': 'application/json', Accept: 'application/json', 'X-CSRF-Token': csrf() },
      }).catch(() => {});
    } catch { /* the dead-man stops it */ }
  }

  // command sends a one-off command (home, a preset), ending any hold.
  command(cmd) {
    this.holds.clear();
    this.halt();
    this.send(cmd);
  }

  // ---- keys ----
  keyDown(ev) {
    if (!this.open || ev.ctrlKey || ev.metaKey || ev.altKey) return;
    const t = ev.target;
    if (t && (t.tagName === 'INPUT' || t.tagName === 'TEXTAREA' || t.tagName === 'SELECT')) return;
    const vec = KEYS[ev.key];
    if (vec) {
      ev.preventDefault();
      ev.stopPropagation(); // not the wall's arrows (tile selection, tour)
      if (!ev.repeat) this.hold('key:' + ev.key, vec);
      return;
    }
    if (ev.key === 'Home') {
      ev.preventDefault();
      ev.stopPropagation();
      if (!ev.repeat) this.command({ action: 'home' });
    } else if (ev.key === 'Escape') {
      // Escape stops; when nothing was held it also goes on to the wall.
      if (this.moving) ev.stopPropagation();
      this.stopNow();
    }
  }

  keyUp(ev) {
    const vec = KEYS[ev.key];
    if (!vec) return;
    this.holds.delete('key:' + ev.key);
    // '+' may come up as '=' (shift let go first): any zoom key up ends
    // every zoom key's hold.
    if (vec[2] !== 0) for (const k of Object.keys(KEYS)) if (KEYS[k][2] !== 0) this.holds.delete('key:' + k);
    this.steer();
  }

  // ---- click to centre (approximate; see the top of this file) ----
  pictureClick(ev) {
    if (!this.open || !ev.shiftKey || ev.target !== this.video || !this.video.videoWidth) return;
    ev.stopPropagation();
    ev.preventDefault();
    const box = contentBox(this.video);
    const r = this.video.getBoundingClientRect();
    const bx = ev.clientX - r.left - (box.left - this.video.offsetLeft);
    const by = ev.clientY - r.top - (box.top - this.video.offsetTop);
    if (bx < 0 || by < 0 || bx > box.width || by > box.height) return;
    const x = (bx / box.width) * 2 - 1;
    const y = (by / box.height) * 2 - 1;
    const zoom = this.state.position ? this.state.position.Zoom || 0 : 0;
    const gain = CENTRE_GAIN / (1 + CENTRE_ZOOM * Math.max(0, Math.min(1, zoom)));
    this.command({ action: 'relative', pan: round(clamp(x * gain)), tilt: round(clamp(-y * gain)), zoom: 0 });
  }

  // ---- lock and state ----
  async take(take) {
    try {
      const res = await api('POST', this.path + '/lock', { take });
      this.drawLock(res.lock || {});
      if (!take) this.halt();
    } catch (e) {
      if (e instanceof APIError && e.status === 409 && e.body && e.body.lock) this.drawLock(e.body.lock);
      if (!(e instanceof APIError && e.status === 401)) this.toast(errorText(e), e.status === 409 ? 'warn' : 'error');
    }
  }

  async refresh() {
    const gen = this.gen;
    try {
      const st = await api('GET', this.path, null, { signal: this.abort.signal });
      if (gen !== this.gen || !st) return;
      this.state = st;
      this.drawLock(st.lock || {});
      this.drawPresets(st.presets || []);
      this.panel.title = st.error ? 'The camera did not answer everything: ' + st.error : '';
    } catch (e) {
      if (gen !== this.gen || e.name === 'AbortError') return;
      this.status.textContent = 'Cannot read the camera: ' + errorText(e);
    }
  }

  drawLock(lock) {
    this.state.lock = lock;
    const holder = lock && lock.holder;
    const mine = holder && this.me && holder === this.me.username;
    const kind = !holder ? 'free' : mine ? 'mine' : 'other';
    this.panel.dataset.lock = kind;
    this.status.textContent = kind === 'free' ? 'Free' : kind === 'mine' ? 'You are steering' : `${lock.display || holder} is steering`;
    this.takeBtn.hidden = kind !== 'other' || !this.canOverride;
    this.releaseBtn.hidden = kind !== 'mine';
  }

  drawPresets(presets) {
    const buttons = presets.map((p) => h('button', {
      class: 'btn btn-small ptz-preset', type: 'button', data: { preset: p.Token }, title: `Go to preset “${p.Name || p.Token}”`,
      onclick: () => this.command({ action: 'goto_preset', preset: p.Token }),
    }, p.Name || p.Token));
    this.presetList.replaceChildren(...(buttons.length ? buttons : [h('span', { class: 'muted' }, 'No presets')]));
  }

  savePreset() {
    this.holds.clear();
    const name = h('input', { name: 'name', maxlength: '64', required: true, autocomplete: 'off', placeholder: 'e.g. Market cross' });
    modal(`Save a preset for ${this.camera}`, [
      h('label', { class: 'field' }, h('span', {}, 'Name'), name),
      h('p', { class: 'muted' }, 'The preset is where the camera points now.'),
    ], {
      id: 'ptz-preset-dialog', submit: 'Save preset',
      onSubmit: async () => {
        const res = await api('POST', this.path, { action: 'set_preset', name: name.value.trim() });
        if (res && res.lock) this.drawLock(res.lock);
        this.toast(`Preset “${name.value.trim()}” saved`, 'ok');
        this.refresh();
      },
    });
  }

  // destroy stops the dome if this moves it and removes the controls.
  destroy() {
    this.release();
    live.delete(this);
    clearInterval(this.refreshTimer);
    this.gen++;
    this.abort.abort();
    this.tile.removeEventListener('keydown', this.onKeyDown);
    this.tile.removeEventListener('keyup', this.onKeyUp);
    this.tile.removeEventListener('focusout', this.onFocusOut);
    this.tile.removeEventListener('click', this.onPictureClick, true);
    this.tile.removeEventListener('dragstart', this.onDragStart, true);
    window.removeEventListener('pointerup', this.onPointerEnd, true);
    window.removeEventListener('pointercancel', this.onPointerEnd, true);
    this.tile.classList.remove('ptz-open');
    this.toggleBtn.remove();
    this.panel.remove();
  }
}
