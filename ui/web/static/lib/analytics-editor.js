// analytics-editor.js: one camera's analytics settings, for engineers
// (cameras.manage), on the admin page: named motion zones, exclusion
// masks (motion ignored), privacy masks (never shown), sensitivity and the
// smallest moving area that counts. GET/PUT /api/v1/cameras/{id}/analytics;
// the server's field errors are listed and the polygons at fault marked.
//
// Drawing: choose Zone, Exclusion or Privacy, click points on the frame,
// then Finish (or click the first point again, or Enter); Backspace takes
// the last point back, Escape drops the polygon being drawn.
//
// Hooks for tests: #an-editor[data-camera], #an-type-zone/-exclusion/
// -privacy, #an-zone-name, #an-finish, #an-cancel-draft, #an-undo,
// #an-shapes li[data-type][data-index] .an-delete, #an-sensitivity,
// #an-min-area (percent of the frame), #an-enabled, #an-save, #an-revert,
// #an-errors, #an-status.
import { api, errorText, h } from '../api.js';
import { icon } from '../icons.js';
import { londonDateTime, rfc3339 } from './time.js';
import { ZoneCanvas } from './zone-canvas.js';
import { forgetAnalytics } from './masks.js';

const TYPES = [['zone', 'Zone', 'motion is counted per zone, by name'], ['exclusion', 'Exclusion', 'motion here is ignored (trees, a busy road)'],
  ['privacy', 'Privacy', 'never shown to anyone: blacked out on live and playback']];
const LIST_KEY = { zone: 'zones', exclusion: 'exclusions', privacy: 'privacy' };

// area is a polygon's share of the frame (shoelace).
function area(p) {
  let a = 0;
  for (let i = 0; i < p.length; i++) {
    const [x1, y1] = p[i], [x2, y2] = p[(i + 1) % p.length];
    a += x1 * y2 - x2 * y1;
  }
  return Math.abs(a) / 2;
}

function aspectOf(cam) {
  const st = (cam.streams || []).find((x) => x.stream === 'sub' && x.width) || (cam.streams || []).find((x) => x.width);
  return st && st.height ? st.width / st.height : 16 / 9;
}

export function mountAnalyticsEditor(root, ctx, cam, { onBack } = {}) {
  const abort = new AbortController();
  let alive = true;
  let shapes = []; // [{type, name, points}]
  let draft = null; // {type, points}
  let selected = -1;
  let invalid = [];
  let pictureURL = '';
  let saved = ''; // the settings as last loaded or saved, to tell unsaved changes

  const status = h('p', { class: 'muted', id: 'an-status', role: 'status' });
  const errors = h('ul', { class: 'an-errors form-error', id: 'an-errors', role: 'alert' });
  const typeBtns = TYPES.map(([t, label, hint]) => h('button', {
    class: `btn btn-small an-type an-type-${t}`, type: 'button', id: `an-type-${t}`, data: { type: t }, title: hint,
    'aria-pressed': 'false', onclick: () => startDraft(t),
  }, label));
  const zoneName = h('input', { id: 'an-zone-name', maxlength: '40', size: '14', placeholder: 'Zone name', 'aria-label': 'Name of the zone being drawn' });
  const finishBtn = h('button', { class: 'btn btn-small btn-primary', type: 'button', id: 'an-finish', onclick: () => finish() }, icon('check'), 'Finish');
  const undoBtn = h('button', { class: 'btn btn-small', type: 'button', id: 'an-undo', title: 'Take the last point back (Backspace)', onclick: () => undo() }, 'Undo point');
  const cancelBtn = h('button', { class: 'btn btn-small', type: 'button', id: 'an-cancel-draft', title: 'Drop this polygon (Escape)', onclick: () => cancelDraft() }, 'Cancel');
  const hint = h('span', { class: 'muted an-hint', id: 'an-hint' });
  const list = h('ul', { class: 'an-shapes', id: 'an-shapes' });
  const enabled = h('input', { type: 'checkbox', id: 'an-enabled' });
  const sens = h('input', { type: 'range', id: 'an-sensitivity', min: '1', max: '10', step: '1', value: '5', 'aria-label': 'Sensitivity' });
  const sensOut = h('output', { class: 'mono an-out', id: 'an-sensitivity-value', for: 'an-sensitivity' }, '5');
  const minArea = h('input', { type: 'number', id: 'an-min-area', min: '0.01', max: '25', step: '0.01', value: '0.15', 'aria-label': 'Smallest moving area, percent of the frame' });
  const saveBtn = h('button', { class: 'btn btn-primary', type: 'button', id: 'an-save', onclick: () => save() }, icon('save'), 'Save');
  const revertBtn = h('button', { class: 'btn', type: 'button', id: 'an-revert', onclick: () => load() }, 'Revert');
  const canvasRoot = h('div', {});

  const zc = new ZoneCanvas(canvasRoot, {
    onPoint: (p) => { if (draft) { draft.points.push(p); redraw(); } },
    onClose: () => finish(),
    onSelect: (i) => { selected = selected === i ? -1 : i; redraw(); },
  });

  root.replaceChildren(h('section', { class: 'an-editor', id: 'an-editor', data: { camera: cam.id } },
    h('div', { class: 'toolbar' },
      h('button', { class: 'btn btn-small', type: 'button', id: 'an-back', onclick: () => back() }, icon('prev'), 'Cameras'),
      h('h2', {}, `Analytics · ${cam.name || cam.id} `, h('span', { class: 'muted mono' }, cam.id)),
      h('span', { class: 'spacer' }), status),
    h('div', { class: 'an-layout' },
      h('div', { class: 'an-left' },
        h('div', { class: 'toolbar an-tools' }, h('span', { class: 'muted' }, 'Draw'), typeBtns, zoneName, finishBtn, undoBtn, cancelBtn),
        hint,
        canvasRoot),
      h('div', { class: 'an-right panel' },
        h('label', { class: 'field field-inline' }, enabled, h('span', {}, 'Analytics on for this camera')),
        h('label', { class: 'field' }, h('span', {}, 'Sensitivity (1 only big, clear motion … 10 the slightest change)'),
          h('span', { class: 'an-range' }, sens, sensOut)),
        h('label', { class: 'field' }, h('span', {}, 'Smallest moving area that counts (% of the frame, 0.01–25)'), minArea,
          h('small', { class: 'muted' }, 'Shown as the dashed square in the frame’s corner.')),
        h('h3', {}, 'Polygons'),
        list,
        errors,
        h('div', { class: 'toolbar' }, saveBtn, revertBtn)))));

  // ---- drawing ----
  function startDraft(type) {
    if (draft && draft.points.length && !confirmDrop()) return;
    draft = { type, points: [] };
    if (type === 'zone' && !zoneName.value.trim()) zoneName.value = nextZoneName();
    selected = -1;
    redraw();
  }

  function confirmDrop() { return draft.points.length < 2 || window.confirm('Drop the polygon being drawn?'); }

  function nextZoneName() {
    const used = new Set(shapes.filter((x) => x.type === 'zone').map((x) => x.name));
    for (let i = 1; ; i++) if (!used.has(`Zone ${i}`)) return `Zone ${i}`;
  }

  function finish() {
    if (!draft) return;
    if (draft.points.length < 3) { say('A polygon needs at least 3 points: click on the frame to add them.', 'error'); return; }
    const sh = { type: draft.type, name: '', points: draft.points };
    if (draft.type === 'zone') {
      sh.name = zoneName.value.trim();
      if (!sh.name) { say('Give the zone a name first.', 'error'); zoneName.focus(); return; }
      if (shapes.some((x) => x.type === 'zone' && x.name === sh.name)) { say(`There is already a zone called “${sh.name}”.`, 'error'); zoneName.focus(); return; }
      zoneName.value = '';
    }
    shapes.push(sh);
    selected = shapes.length - 1;
    draft = null;
    say('');
    redraw();
  }

  function undo() { if (draft && draft.points.length) { draft.points.pop(); redraw(); } }

  function cancelDraft() { draft = null; redraw(); }

  function remove(i) {
    shapes.splice(i, 1);
    selected = -1;
    invalid = [];
    redraw();
  }

  function redraw() {
    zc.draw(shapes, draft, { selected, invalid, minArea: Number(minArea.value) / 100 });
    for (const b of typeBtns) b.setAttribute('aria-pressed', String(!!draft && draft.type === b.dataset.type));
    finishBtn.disabled = !draft || draft.points.length < 3;
    undoBtn.disabled = !draft || !draft.points.length;
    cancelBtn.disabled = !draft;
    zoneName.disabled = !!draft && draft.type !== 'zone';
    hint.textContent = draft
      ? `Drawing ${draft.type === 'zone' ? 'a zone' : draft.type === 'exclusion' ? 'an exclusion mask' : 'a privacy mask'}: ${draft.points.length} point${draft.points.length === 1 ? '' : 's'}. ` +
        (draft.points.length >= 3 ? 'Click the first point or Finish to close it.' : 'Click on the frame to add points.')
      : 'Choose what to draw, then click points on the frame. Click a polygon to pick it.';
    drawList();
    const dirty = snapshot() !== saved;
    saveBtn.classList.toggle('an-dirty', dirty);
    status.textContent = dirty ? 'Unsaved changes' : status.dataset.info || '';
  }

  function drawList() {
    const items = shapes.map((sh, i) => {
      const nameIn = sh.type === 'zone'
        ? h('input', { class: 'an-name', value: sh.name, maxlength: '40', size: '12', 'aria-label': 'Zone name',
          oninput: (ev) => { sh.name = ev.target.value; zc.draw(shapes, draft, { selected, invalid, minArea: Number(minArea.value) / 100 }); } })
        : h('span', { class: 'muted' }, sh.type === 'privacy' ? 'blacked out' : 'ignored');
      return h('li', {
        class: `an-item${selected === i ? ' selected' : ''}${invalid.includes(i) ? ' invalid' : ''}`, data: { type: sh.type, index: String(i) },
        onmouseenter: () => { zc.draw(shapes, draft, { selected: i, invalid, minArea: Number(minArea.value) / 100 }); },
        onmouseleave: () => { zc.draw(shapes, draft, { selected, invalid, minArea: Number(minArea.value) / 100 }); },
      },
      h('span', { class: `badge an-badge an-badge-${sh.type}` }, sh.type), nameIn,
      h('span', { class: 'muted mono an-meta' }, `${sh.points.length} pts · ${(area(sh.points) * 100).toFixed(1)}%`),
      h('button', { class: 'btn btn-small btn-danger an-delete', type: 'button', title: 'Delete this polygon', 'aria-label': `Delete ${sh.type} ${sh.name || i + 1}`, onclick: () => remove(i) }, icon('trash')));
    });
    list.replaceChildren(...(items.length ? items : [h('li', { class: 'muted' }, 'None yet: the whole frame counts as one area.')]));
  }

  // ---- settings in and out ----
  function body() {
    const of = (t) => shapes.filter((x) => x.type === t);
    return {
      enabled: enabled.checked,
      sensitivity: Number(sens.value),
      min_area: Math.round(Number(minArea.value) * 1e4) / 1e6,
      zones: of('zone').map((z) => ({ name: z.name.trim(), points: z.points })),
      exclusions: of('exclusion').map((x) => x.points),
      privacy: of('privacy').map((x) => x.points),
    };
  }

  function snapshot() { return JSON.stringify(body()); }

  function fill(a) {
    enabled.checked = a.enabled !== false;
    sens.value = String(a.sensitivity || 5);
    sensOut.textContent = sens.value;
    minArea.value = String(Math.round((a.min_area || 0.0015) * 1e6) / 1e4);
    shapes = [
      ...(a.zones || []).map((z) => ({ type: 'zone', name: z.name, points: z.points })),
      ...(a.exclusions || []).map((p) => ({ type: 'exclusion', name: '', points: p })),
      ...(a.privacy || []).map((p) => ({ type: 'privacy', name: '', points: p })),
    ];
    draft = null;
    selected = -1;
    invalid = [];
    errors.replaceChildren();
    saved = snapshot();
    status.dataset.info = a.updated ? `Last changed ${londonDateTime(a.updated)}${a.updated_by ? ' by ' + a.updated_by : ''}` : 'Defaults: never changed';
    redraw();
  }

  function say(text, kind) {
    status.dataset.info = text;
    status.textContent = text;
    status.className = kind === 'error' ? 'form-error' : 'muted';
  }

  async function load() {
    say('Loading…');
    try {
      const a = await api('GET', `/api/v1/cameras/${encodeURIComponent(cam.id)}/analytics`, null, { signal: abort.signal });
      if (!alive) return;
      status.className = 'muted';
      fill(a || {});
    } catch (e) {
      if (!alive || e.name === 'AbortError') return;
      say(e.status === 404 ? 'Analytics settings are not available on this server.' : 'Cannot load the settings: ' + errorText(e), 'error');
      saveBtn.disabled = true;
    }
  }

  // showErrors lists the server's field errors and marks the polygons they name.
  function showErrors(e) {
    const fields = (e.body && Array.isArray(e.body.fields) && e.body.fields) || [];
    const lines = fields.length ? fields.map((f) => `${f.field}: ${f.message}`) : [errorText(e)];
    errors.replaceChildren(...lines.map((l) => h('li', {}, l)));
    invalid = [];
    const counts = { zones: 'zone', exclusions: 'exclusion', privacy: 'privacy' };
    for (const l of lines) {
      for (const m of l.matchAll(/\b(zones|exclusions|privacy)\[(\d+)\]/g)) {
        const type = counts[m[1]];
        const idx = Number(m[2]);
        let n = -1;
        const at = shapes.findIndex((x) => x.type === type && ++n === idx);
        if (at >= 0 && !invalid.includes(at)) invalid.push(at);
      }
    }
    redraw();
  }

  async function save() {
    if (draft && draft.points.length) { say('Finish or cancel the polygon being drawn first.', 'error'); return; }
    const m = Number(minArea.value);
    errors.replaceChildren();
    if (!(m >= 0.01 && m <= 25)) { errors.append(h('li', {}, 'min_area: give a percentage from 0.01 to 25')); return; }
    saveBtn.disabled = true;
    try {
      const a = await api('PUT', `/api/v1/cameras/${encodeURIComponent(cam.id)}/analytics`, body());
      forgetAnalytics(cam.id);
      fill(a || body());
      ctx.toast(`Analytics of ${cam.name || cam.id} saved`, 'ok');
    } catch (e) {
      say('Not saved: see below.', 'error');
      showErrors(e);
    } finally {
      saveBtn.disabled = false;
    }
  }

  // ---- the picture behind ----
  async function picture() {
    zc.setAspect(aspectOf(cam));
    if (!ctx.can('footage.view') && !ctx.can('footage.granted')) {
      zc.setPicture(null, 'No picture: your roles have no footage access, so zones are drawn on a plain frame of the camera’s shape (each square is 10% of the width and height).');
      return;
    }
    const q = new URLSearchParams({ at: rfc3339(new Date(Date.now() - 10e3)), width: '960', reason: `analytics settings of ${cam.id}` });
    try {
      const res = await fetch(`/api/v1/cameras/${encodeURIComponent(cam.id)}/snapshot?${q}`, { credentials: 'same-origin', signal: abort.signal, cache: 'no-store' });
      if (!res.ok) {
        let msg = `${res.status} ${res.statusText}`;
        try { msg = (await res.json()).error || msg; } catch { /* not JSON */ }
        throw new Error(msg);
      }
      const blob = await res.blob();
      if (!alive) return;
      pictureURL = URL.createObjectURL(blob);
      zc.setPicture(pictureURL, 'A recent picture from the camera (this view is logged).');
    } catch (e) {
      if (!alive || e.name === 'AbortError') return;
      zc.setPicture(null, `No picture: the server refused a snapshot (${e.message}); draw on the plain frame instead.`);
    }
  }

  function back() {
    if (snapshot() !== saved && !window.confirm('Leave without saving the changes?')) return;
    onBack?.();
  }

  sens.addEventListener('input', () => { sensOut.textContent = sens.value; redraw(); });
  minArea.addEventListener('input', redraw);
  enabled.addEventListener('change', redraw);
  const onKey = (ev) => {
    if (!draft) return;
    const typing = ev.target.closest && ev.target.closest('input, textarea, select');
    if (ev.key === 'Escape') { cancelDraft(); ev.preventDefault(); } else if (ev.key === 'Enter' && !typing) { finish(); ev.preventDefault(); } else if (ev.key === 'Backspace' && !typing) { undo(); ev.preventDefault(); }
  };
  document.addEventListener('keydown', onKey);

  redraw();
  picture();
  load();
  return () => {
    alive = false;
    abort.abort();
    document.removeEventListener('keydown', onKey);
    if (pictureURL) URL.revokeObjectURL(pictureURL);
  };
}
