// masks.js: privacy masks drawn over a camera's picture, opaque, wherever
// the picture is shown (live tiles, playback). The masks come from
// GET /api/v1/cameras/{id}/analytics → "privacy": polygons in fractions of
// the frame. The overlay is an SVG laid exactly over the video's content
// box (object-fit: contain leaves letterbox or pillarbox bars), so a mask
// covers the same part of the scene at any tile size.
//
//   const m = attachMasks(video, 'cam001');  ... m.stop();
//
// Until the video knows its size the frame is taken as 16:9, so masks
// are in place before the first picture. Hooks for tests:
// svg.privacy-mask[data-camera][data-masks] polygon.privacy-poly.
import { api } from '../api.js';
import { s, points } from './svg.js';

const TTL_MS = 60e3;
const cache = new Map(); // camera → {at, promise}

// analyticsOf returns a camera's analytics settings (cached briefly: a wall
// of 25 tiles asks once per camera).
export function analyticsOf(camera) {
  const hit = cache.get(camera);
  if (hit && Date.now() - hit.at < TTL_MS) return hit.promise;
  const promise = api('GET', `/api/v1/cameras/${encodeURIComponent(camera)}/analytics`);
  cache.set(camera, { at: Date.now(), promise });
  promise.catch(() => cache.delete(camera));
  return promise;
}

// forgetAnalytics drops a camera's cached settings (after a change).
export function forgetAnalytics(camera) { cache.delete(camera); }

// contentBox is where the picture is drawn inside a video element laid out
// with object-fit: contain, relative to the element's offset parent.
export function contentBox(video, aspect) {
  const cw = video.clientWidth, ch = video.clientHeight;
  const a = video.videoWidth && video.videoHeight ? video.videoWidth / video.videoHeight : aspect || 16 / 9;
  let w = cw, hgt = cw / a;
  if (hgt > ch) { hgt = ch; w = ch * a; }
  return { left: video.offsetLeft + (cw - w) / 2, top: video.offsetTop + (ch - hgt) / 2, width: w, height: hgt };
}

export function attachMasks(video, camera) {
  const svg = s('svg', { class: 'privacy-mask', viewBox: '0 0 1 1', preserveAspectRatio: 'none', 'aria-hidden': 'true',
    data: { camera, masks: 'loading' } });
  video.after(svg);
  let polys = [];
  let stopped = false;

  const place = () => {
    if (stopped) return;
    const b = contentBox(video);
    svg.style.left = b.left + 'px';
    svg.style.top = b.top + 'px';
    svg.style.width = b.width + 'px';
    svg.style.height = b.height + 'px';
  };
  const draw = () => {
    svg.replaceChildren(...polys.map((p, i) => s('polygon', { class: 'privacy-poly', points: points(p), data: { index: String(i) } })));
    svg.dataset.masks = String(polys.length);
    svg.hidden = !polys.length;
    place();
  };
  const ro = typeof ResizeObserver !== 'undefined' ? new ResizeObserver(place) : null;
  if (ro) ro.observe(video);
  video.addEventListener('loadedmetadata', place);
  video.addEventListener('resize', place);

  analyticsOf(camera).then((a) => {
    if (stopped) return;
    polys = (a && Array.isArray(a.privacy) ? a.privacy : []).filter((p) => Array.isArray(p) && p.length >= 3);
    draw();
  }).catch(() => {
    if (stopped) return;
    // No settings (the API is absent or refused): nothing to mask.
    polys = [];
    draw();
    svg.dataset.masks = 'none';
  });
  place();

  return {
    svg,
    stop() {
      stopped = true;
      if (ro) ro.disconnect();
      video.removeEventListener('loadedmetadata', place);
      video.removeEventListener('resize', place);
      svg.remove();
    },
  };
}
