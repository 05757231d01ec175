// live.js: a WHEP player. One LivePlayer shows one camera stream in one
// <video> element:
//
//   const p = new LivePlayer(video, { camera: 'cam1', stream: 'sub' });
//   p.addEventListener('state', (e) => draw(e.detail.state, e.detail.message));
//   p.start(); ... p.setStream('main'); ... p.stop();
//
// States: idle, connecting, playing, reconnecting, offline (waiting for
// the camera or refused; message says why), stopped. Receive-only video,
// no audio; the offer is sent once ICE gathering is complete (or after
// 1 s), the answer set, and the session URL (Location) deleted on stop
// and when the page goes away. ICE failure, a closed connection or no new
// frames for a while reconnect with back-off.
import { csrf } from './api.js';

const players = new Set();
let unloadHooked = false;

function hookUnload() {
  if (unloadHooked) return;
  unloadHooked = true;
  // pagehide fires on close, reload and navigation away (also from bfcache).
  window.addEventListener('pagehide', () => {
    for (const p of [...players]) p.stop({ keepalive: true });
  });
}

const STALL_MS = 4000; // no new frame for this long while playing: reconnect
const GATHER_MS = 1000;
const MAX_BACKOFF_MS = 30000;

export class LivePlayer extends EventTarget {
  constructor(video, { camera, stream = 'sub', iceServers = [] } = {}) {
    super();
    if (!video) throw new Error('LivePlayer needs a <video> element');
    this.video = video;
    this.camera = camera;
    this.stream = stream;
    this.iceServers = iceServers;
    this.state = 'idle';
    this.message = '';
    this.pc = null;
    this.location = null;
    this.abort = null;
    this.retryTimer = null;
    this.watchTimer = null;
    this.attempt = 0;
    this.gen = 0; // bumps on every (re)connect: callbacks of an old connection are ignored
    this.lastTime = -1;
    this.lastProgress = 0;
    this.startedAt = 0;
    this.firstFrameMs = null;
    this.running = false;
    this.hidden = false;
    this.watching = false;
    video.muted = true;
    video.defaultMuted = true;
    video.playsInline = true;
    video.autoplay = true;
    video.disablePictureInPicture = true;
    video.setAttribute('muted', '');
    video.setAttribute('playsinline', '');
    video.setAttribute('autoplay', '');
  }

  setState(state, message = '') {
    if (state === this.state && message === this.message) return;
    this.state = state;
    this.message = message;
    this.video.dataset.live = state;
    this.dispatchEvent(new CustomEvent('state', { detail: { state, message, camera: this.camera, stream: this.stream } }));
  }

  start() {
    if (this.running) return;
    this.running = true;
    players.add(this);
    hookUnload();
    this.attempt = 0;
    this.connect();
  }

  // setHidden tells the player its video is not on screen (a maximised
  // neighbour covers it). Stalls are judged from the connection's
  // statistics, which do not depend on rendering, so this is informative.
  setHidden(hidden) {
    this.hidden = !!hidden;
  }

  // setStream switches main/sub: a new WHEP session, the old one ended.
  setStream(stream) {
    if (stream === this.stream) return;
    this.stream = stream;
    if (this.running) {
      this.teardown();
      this.attempt = 0;
      this.connect();
    }
  }

  stop({ keepalive = false } = {}) {
    this.running = false;
    players.delete(this);
    this.teardown({ keepalive });
    this.video.srcObject = null;
    this.setState('stopped');
  }

  // teardown ends the current connection (not the player).
  teardown({ keepalive = false } = {}) {
    this.gen++;
    clearTimeout(this.retryTimer);
    clearInterval(this.watchTimer);
    this.retryTimer = this.watchTimer = null;
    if (this.abort) this.abort.abort();
    this.abort = null;
    if (this.pc) {
      this.pc.ontrack = this.pc.onconnectionstatechange = this.pc.oniceconnectionstatechange = null;
      try { this.pc.close(); } catch { /* closed already */ }
      this.pc = null;
    }
    if (this.location) {
      const url = this.location;
      this.location = null;
      fetch(url, { method: 'DELETE', headers: { 'X-CSRF-Token': csrf() }, keepalive, credentials: 'same-origin' }).catch(() => {});
    }
  }

  retry(message, { fatal = false, delay } = {}) {
    this.teardown();
    if (!this.running) return;
    if (fatal) {
      this.setState('offline', message);
      return;
    }
    const wait = delay ?? Math.min(MAX_BACKOFF_MS, 1000 * 2 ** Math.min(this.attempt, 5)) * (0.75 + Math.random() * 0.5);
    this.attempt++;
    this.setState(this.attempt > 2 ? 'offline' : 'reconnecting', message);
    const gen = this.gen;
    this.retryTimer = setTimeout(() => { if (gen === this.gen && this.running) this.connect(); }, wait);
  }

  async connect() {
    const gen = ++this.gen;
    const stale = () => gen !== this.gen || !this.running;
    this.setState(this.attempt ? 'reconnecting' : 'connecting', this.message);
    this.startedAt = performance.now();
    this.firstFrameMs = null;
    let pc;
    try {
      pc = new RTCPeerConnection({ iceServers: this.iceServers, bundlePolicy: 'max-bundle' });
    } catch (e) {
      this.retry('this browser cannot open a WebRTC connection: ' + e.message, { fatal: true });
      return;
    }
    this.pc = pc;
    const tr = pc.addTransceiver('video', { direction: 'recvonly' });
    preferH264(tr);
    pc.ontrack = (ev) => {
      if (stale()) return;
      const ms = ev.streams && ev.streams[0] ? ev.streams[0] : new MediaStream([ev.track]);
      this.video.srcObject = ms;
      const p = this.video.play();
      if (p && p.catch) p.catch(() => {});
    };
    pc.onconnectionstatechange = () => {
      if (stale()) return;
      const s = pc.connectionState;
      if (s === 'failed' || s === 'closed') this.retry(s === 'failed' ? 'connection lost' : 'the server ended the live view');
    };
    pc.oniceconnectionstatechange = () => {
      if (stale()) return;
      // Firefox reports failures here rather than on connectionState.
      if (pc.iceConnectionState === 'failed') this.retry('network path failed');
    };
    let answer;
    try {
      const offer = await pc.createOffer();
      await pc.setLocalDescription(offer);
      await gathered(pc, GATHER_MS);
      if (stale()) return;
      this.abort = new AbortController();
      const url = `/api/v1/cameras/${encodeURIComponent(this.camera)}/whep?stream=${encodeURIComponent(this.stream)}`;
      const res = await fetch(url, {
        method: 'POST', body: pc.localDescription.sdp, signal: this.abort.signal, credentials: 'same-origin',
        headers: { 'Content-Type': 'application/sdp', Accept: 'application/sdp', 'X-CSRF-Token': csrf() },
      });
      if (stale()) {
        const loc = res.headers.get('Location');
        if (res.status === 201 && loc) fetch(loc, { method: 'DELETE', headers: { 'X-CSRF-Token': csrf() } }).catch(() => {});
        return;
      }
      if (res.status !== 201 && res.status !== 200) {
        const text = await res.text();
        let msg = text;
        try { msg = JSON.parse(text).error || text; } catch { /* not JSON */ }
        msg = msg || `${res.status} ${res.statusText}`;
        switch (res.status) {
          case 401:
            window.dispatchEvent(new CustomEvent('vigil:signedout'));
            this.retry('signed out', { fatal: true });
            return;
          case 400: case 403: case 409: case 415:
            this.retry(msg, { fatal: true });
            return;
          case 404:
            // no such camera, or its stream is not up yet: try again slowly
            this.retry(msg, { delay: 4000 });
            return;
          default: // 429 too many viewers, 5xx: back off
            this.retry(msg);
            return;
        }
      }
      const loc = res.headers.get('Location');
      this.location = loc ? new URL(loc, location.href).pathname : null;
      answer = await res.text();
      await pc.setRemoteDescription({ type: 'answer', sdp: answer });
    } catch (e) {
      if (stale() || e.name === 'AbortError') return;
      this.retry('cannot reach the live service: ' + (e.message || e));
      return;
    }
    if (stale()) return;
    this.lastTime = -1;
    this.lastProgress = performance.now();
    this.watchTimer = setInterval(() => this.watch(gen), 500);
  }

  // received reads how many video frames (or, where the browser does not
  // count frames, packets) the connection has received: WebRTC video's
  // currentTime runs on with the clock even when nothing arrives, so it
  // cannot tell a stall.
  async received() {
    const pc = this.pc;
    if (!pc) return null;
    try {
      const stats = await pc.getStats();
      let n = null;
      stats.forEach((r) => {
        if (r.type === 'inbound-rtp' && (r.kind || r.mediaType) === 'video') {
          n = (n || 0) + (r.framesDecoded ?? r.framesReceived ?? r.packetsReceived ?? 0);
        }
      });
      return n;
    } catch {
      return null;
    }
  }

  // watch turns frames arriving into "playing", and a stall into a reconnect.
  async watch(gen) {
    if (gen !== this.gen || this.watching) return;
    this.watching = true;
    const got = await this.received();
    this.watching = false;
    if (gen !== this.gen) return;
    const v = this.video;
    const now = performance.now();
    // Without stats, fall back on the element's own progress.
    const mark = got === null ? v.currentTime : got;
    if (v.videoWidth > 0 && v.readyState >= 2 && mark !== this.lastTime) {
      this.lastTime = mark;
      this.lastProgress = now;
      if (this.state !== 'playing') {
        if (this.firstFrameMs === null) this.firstFrameMs = Math.round(now - this.startedAt);
        this.attempt = 0;
        this.setState('playing', '');
      }
      if (v.paused) v.play().catch(() => {});
      return;
    }
    const quiet = now - this.lastProgress;
    if (this.state === 'playing' && quiet > 1500) this.setState('reconnecting', 'no picture for a moment');
    // A connection that has shown pictures is judged stalled sooner than one
    // still waiting for its first.
    if (quiet > (this.firstFrameMs === null ? STALL_MS * 2 : STALL_MS)) {
      this.retry(this.firstFrameMs === null ? 'no picture from the camera' : 'the picture stopped');
    }
  }
}

// preferH264 puts H.264 (constrained baseline, packetization-mode=1 first)
// at the top of the offer, where the browser allows it.
function preferH264(tr) {
  if (!tr.setCodecPreferences || !window.RTCRtpReceiver || !RTCRtpReceiver.getCapabilities) return;
  try {
    const caps = RTCRtpReceiver.getCapabilities('video');
    if (!caps) return;
    const rank = (c) => {
      const m = (c.mimeType || '').toLowerCase();
      const f = c.sdpFmtpLine || '';
      if (m !== 'video/h264') return 9;
      let r = 3;
      if (/packetization-mode=1/.test(f)) r -= 1;
      if (/profile-level-id=42e01f/i.test(f)) r -= 2;
      else if (/profile-level-id=42/i.test(f)) r -= 1;
      return r;
    };
    const h264 = caps.codecs.filter((c) => rank(c) < 9).sort((a, b) => rank(a) - rank(b));
    const rest = caps.codecs.filter((c) => /rtx|red|ulpfec/i.test(c.mimeType));
    if (h264.length) tr.setCodecPreferences([...h264, ...rest]);
  } catch { /* keep the browser's default order */ }
}

function gathered(pc, ms) {
  if (pc.iceGatheringState === 'complete') return Promise.resolve();
  return new Promise((resolve) => {
    const t = setTimeout(done, ms);
    function done() {
      clearTimeout(t);
      pc.removeEventListener('icegatheringstatechange', check);
      resolve();
    }
    function check() { if (pc.iceGatheringState === 'complete') done(); }
    pc.addEventListener('icegatheringstatechange', check);
  });
}
