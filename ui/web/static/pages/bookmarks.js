// bookmarks.js: incidents. Mark a moment on one or more cameras with a note,
// search them, play them, and (police) start an evidence request from one.
//
// Route: #/bookmarks?at=RFC3339&cameras=a,b (prefills the new-bookmark form,
// as the playback page does) and ?q=&camera= (prefills the search).
import { api, errorText, h, loadCSS } from '../api.js';
import { icon } from '../icons.js';
import { londonDateTime, toLondonInput, parseLondonDetail, rfc3339 } from '../lib/time.js';
import { exportRequestForm } from './evidence.js';

// openModal shows content in a dialog (the shell's .modal/.modal-box) and
// returns its close function. Escape or a click outside closes it and calls
// onDismiss.
export function openModal(title, content, onDismiss) {
  const titleId = 'modal-title-' + Math.random().toString(36).slice(2, 8);
  const box = h('div', { class: 'modal-box rec-modal' },
    h('div', { class: 'rec-modal-head' }, h('h2', { id: titleId }, title),
      h('button', { class: 'btn btn-ghost btn-small', type: 'button', 'aria-label': 'Close', onclick: () => dismiss() }, icon('close'))),
    content);
  const back = h('div', { class: 'modal', role: 'dialog', 'aria-modal': 'true', 'aria-labelledby': titleId, data: { owner: 'records' } }, box);
  const before = document.activeElement;
  let open = true;
  const close = () => {
    if (!open) return;
    open = false;
    document.removeEventListener('keydown', onKey, true);
    back.remove();
    if (before && before.focus) before.focus({ preventScroll: true });
  };
  const dismiss = () => { if (open) { close(); onDismiss?.(); } };
  const onKey = (e) => { if (e.key === 'Escape') { e.stopPropagation(); dismiss(); } };
  back.addEventListener('mousedown', (e) => { if (e.target === back) dismiss(); });
  document.addEventListener('keydown', onKey, true);
  document.body.append(back);
  const first = box.querySelector('input, textarea, select');
  if (first) first.focus();
  return close;
}

// readLondon reads a datetime-local input as Europe/London, showing the note
// for a repeated or missing hour next to it.
export function readLondon(input, note) {
  const r = parseLondonDetail(input.value);
  if (note) note.textContent = r && r.note ? r.note : '';
  return r ? r.date : null;
}

// cameraPicker: checkboxes when the camera list is known, else a comma list.
export function cameraPicker(name, cameraList, selected) {
  if (cameraList && cameraList.length) {
    const box = h('div', { class: 'rec-cams', role: 'group', 'aria-label': 'Cameras', data: { picker: name } });
    const ids = new Set([...cameraList.map((c) => c.id), ...selected]);
    for (const id of ids) {
      const c = cameraList.find((x) => x.id === id) || { id, name: id };
      box.append(h('label', { class: 'field-inline rec-cam' },
        h('input', { type: 'checkbox', name, value: id, checked: selected.includes(id) }),
        h('span', {}, c.name && c.name !== id ? `${c.name} (${id})` : id)));
    }
    box.value = () => [...box.querySelectorAll('input:checked')].map((i) => i.value);
    return box;
  }
  const input = h('input', { name, id: name, placeholder: 'camera ids, comma separated (e.g. cam1, cam2)' });
  input.value = selected.join(', ');
  const wrap = h('div', { class: 'rec-cams' }, input);
  wrap.value = () => input.value.split(',').map((s) => s.trim()).filter(Boolean);
  return wrap;
}

// bookmarkForm makes the new-bookmark form. opts: {at, cameras, cameraList,
// note, onSaved(bookmark), onCancel}.
export function bookmarkForm(ctx, opts) {
  const at = h('input', { type: 'datetime-local', step: '1', id: 'bm-at', required: true });
  at.value = toLondonInput(opts.at || new Date());
  const atNote = h('span', { class: 'rec-note' });
  at.addEventListener('change', () => readLondon(at, atNote));
  const cams = cameraPicker('bm-cameras', opts.cameraList, opts.cameras || []);
  const note = h('textarea', { id: 'bm-note', rows: 3, maxlength: 2000, required: true, placeholder: 'What happened, who, which way they went…' });
  note.value = opts.note || '';
  const err = h('p', { class: 'form-error', role: 'alert' });
  const save = h('button', { class: 'btn btn-primary', type: 'submit', id: 'bm-save' }, icon('bookmark'), ' Save bookmark');
  const form = h('form', { class: 'rec-form', id: 'bm-form' },
    h('label', { class: 'field' }, h('span', {}, 'Time (London)'), at, atNote),
    h('div', { class: 'field' }, h('span', {}, 'Cameras'), cams),
    h('label', { class: 'field' }, h('span', {}, 'Note'), note),
    err,
    h('div', { class: 'toolbar' }, save,
      opts.onCancel ? h('button', { class: 'btn', type: 'button', onclick: opts.onCancel }, 'Cancel') : null));
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    err.textContent = '';
    const when = readLondon(at, atNote);
    const cameras = cams.value();
    if (!when) { err.textContent = 'Give the date and time.'; return; }
    if (!cameras.length) { err.textContent = 'Pick at least one camera.'; return; }
    if (!note.value.trim()) { err.textContent = 'Write a note: what is this incident?'; note.focus(); return; }
    save.disabled = true;
    try {
      const b = await api('POST', '/api/v1/bookmarks', { at: rfc3339(when), cameras, note: note.value.trim() });
      note.value = '';
      opts.onSaved?.(b);
    } catch (ex) {
      err.textContent = errorText(ex);
    } finally {
      save.disabled = false;
    }
  });
  return form;
}

export function mount(root, ctx) {
  loadCSS('/static/pages/bookmarks.css');
  const aborts = new AbortController();
  const params = ctx.params || new URLSearchParams();
  let cameraList = [];
  let closeModal = null;
  const write = ctx.can('bookmarks.write');
  const mayRequest = ctx.can('exports.request');
  const mayPlay = ctx.can('footage.view') || ctx.can('footage.granted');

  const q = h('input', { type: 'search', id: 'bm-q', placeholder: 'Search notes', 'aria-label': 'Search notes' });
  q.value = params.get('q') || '';
  const camSel = h('select', { id: 'bm-camera', 'aria-label': 'Camera' }, h('option', { value: '' }, 'All cameras'));
  const camText = h('input', { id: 'bm-camera-id', placeholder: 'camera id', 'aria-label': 'Camera id' });
  const from = h('input', { type: 'datetime-local', step: '1', id: 'bm-from', 'aria-label': 'From (London)' });
  const to = h('input', { type: 'datetime-local', step: '1', id: 'bm-to', 'aria-label': 'To (London)' });
  const search = h('button', { class: 'btn btn-primary', type: 'submit', id: 'bm-search' }, icon('search'), ' Search');
  const note = h('span', { class: 'rec-note' });
  const tbody = h('tbody', { id: 'bm-rows' });
  const status = h('p', { class: 'muted', id: 'bm-status', role: 'status' });
  const formSlot = h('div', { id: 'bm-new' });

  const searchForm = h('form', { class: 'toolbar rec-search', id: 'bm-search-form' },
    q, ctx.can('cameras.read') ? camSel : camText,
    h('label', { class: 'field-inline' }, h('span', {}, 'From'), from),
    h('label', { class: 'field-inline' }, h('span', {}, 'To'), to),
    search, note);

  root.replaceChildren(h('section', { class: 'rec-page' },
    h('h1', {}, 'Incidents'),
    write ? h('details', { class: 'panel rec-new', id: 'bm-new-panel', open: params.has('at') || params.has('cameras') },
      h('summary', {}, h('h2', {}, 'New bookmark')), formSlot) : null,
    h('div', { class: 'panel' },
      h('h2', {}, 'Bookmarks'),
      searchForm,
      status,
      h('table', { class: 'data rec-table', id: 'bm-table' },
        h('thead', {}, h('tr', {}, h('th', {}, 'Time (London)'), h('th', {}, 'Cameras'), h('th', {}, 'Note'), h('th', {}, 'By'), h('th', {}, ''))),
        tbody))));

  const camName = (id) => (cameraList.find((c) => c.id === id) || {}).name || id;

  function drawForm() {
    if (!write) return;
    const at = params.get('at') ? new Date(params.get('at')) : new Date();
    const cams = (params.get('cameras') || params.get('camera') || '').split(',').map((s) => s.trim()).filter(Boolean);
    formSlot.replaceChildren(bookmarkForm(ctx, {
      at: isNaN(at) ? new Date() : at, cameras: cams, cameraList,
      onSaved: (b) => { ctx.toast(`Bookmark saved: ${londonDateTime(b.at)}`, 'ok'); list(); },
    }));
  }

  // listSeq: only the newest list drawn (a first load answering after a
  // search must not replace its results).
  let listSeq = 0;
  async function list() {
    const seq = ++listSeq;
    const p = new URLSearchParams({ limit: '200' });
    if (q.value.trim()) p.set('q', q.value.trim());
    const cam = ctx.can('cameras.read') ? camSel.value : camText.value.trim();
    if (cam) p.set('camera', cam);
    const f = from.value ? readLondon(from, note) : null;
    const t = to.value ? readLondon(to, note) : null;
    if (f) p.set('from', rfc3339(f));
    if (t) p.set('to', rfc3339(t));
    status.textContent = 'Searching…';
    try {
      const r = await api('GET', '/api/v1/bookmarks?' + p, null, { signal: aborts.signal });
      if (seq !== listSeq) return;
      draw(r.bookmarks || []);
    } catch (e) {
      if (e.name === 'AbortError' || seq !== listSeq) return;
      status.textContent = errorText(e);
    }
  }

  function draw(items) {
    status.textContent = items.length ? `${items.length} bookmark${items.length === 1 ? '' : 's'}` : 'No bookmarks match.';
    tbody.replaceChildren(...items.map((b) => {
      const at = new Date(b.at);
      const play = mayPlay ? h('a', { class: 'btn btn-small', href: `#/playback?${new URLSearchParams({ camera: b.cameras[0], at: rfc3339(at), ...(b.cameras.length > 1 ? { cameras: b.cameras.slice(0, 4).join(',') } : {}) })}`, data: { action: 'play' } }, icon('play'), ' Play') : null;
      const ask = mayRequest ? h('button', { class: 'btn btn-small btn-primary', type: 'button', data: { action: 'request' }, onclick: () => requestFrom(b) }, icon('evidence'), ' Request evidence') : null;
      const del = write && (b.created_by === ctx.me.username || (ctx.me.roles || []).includes('supervisor'))
        ? h('button', { class: 'btn btn-small btn-ghost', type: 'button', title: 'Delete', data: { action: 'delete' }, onclick: () => remove(b) }, icon('trash')) : null;
      return h('tr', { data: { id: String(b.id) } },
        h('td', { class: 'mono' }, londonDateTime(at)),
        h('td', {}, b.cameras.map((c) => h('span', { class: 'badge' }, camName(c)))),
        h('td', { class: 'rec-note-cell' }, b.note),
        h('td', {}, b.created_by),
        h('td', { class: 'rec-actions' }, play, ask, del));
    }));
  }

  function requestFrom(b) {
    const at = new Date(b.at);
    closeModal?.();
    const form = exportRequestForm(ctx, {
      cameras: b.cameras, from: new Date(at.getTime() - 5 * 60e3), to: new Date(at.getTime() + 5 * 60e3),
      reason: b.note, onDone: (x) => { closeModal?.(); ctx.toast(`Evidence request filed (${x.crime_reference}); a supervisor must approve it`, 'ok'); },
      onCancel: () => closeModal?.(),
    });
    closeModal = openModal('Request evidence from this incident', form);
  }

  async function remove(b) {
    if (!confirm(`Delete the bookmark of ${londonDateTime(b.at)}?`)) return;
    try {
      await api('DELETE', `/api/v1/bookmarks/${b.id}`);
      list();
    } catch (e) {
      ctx.toast(errorText(e), 'error');
    }
  }

  searchForm.addEventListener('submit', (e) => { e.preventDefault(); list(); });

  (async () => {
    if (ctx.can('cameras.read')) {
      try {
        const r = await api('GET', '/api/v1/cameras', null, { signal: aborts.signal });
        cameraList = (r.cameras || []).map((c) => ({ id: c.id, name: c.name || c.id }));
        for (const c of cameraList) camSel.append(h('option', { value: c.id }, c.name === c.id ? c.id : `${c.name} (${c.id})`));
        if (params.get('camera')) camSel.value = params.get('camera');
      } catch (e) {
        if (e.name === 'AbortError') return;
      }
    } else if (params.get('camera')) {
      camText.value = params.get('camera');
    }
    drawForm();
    list();
  })();

  return () => {
    aborts.abort();
    closeModal?.();
    document.querySelectorAll('.modal[data-owner="records"]').forEach((m) => m.remove());
  };
}
