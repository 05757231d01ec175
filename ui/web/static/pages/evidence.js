// evidence.js: the police export workflow and legal holds.
//
// Police (exports.request): their requests, their state and build, a
// download link for an approved and built bundle, and a new-request form.
// Supervisors (exports.approve): pending requests to approve or refuse with
// a reason (the requester cannot approve their own: two people), and the
// legal holds (holds.read / holds.manage): list, place, extend, request
// release, release (again by a second person).
import { api, errorText, h, loadCSS } from '../api.js';
import { icon } from '../icons.js';
import { londonDateTime, toLondonInput, rfc3339 } from '../lib/time.js';
import { openModal, readLondon, cameraPicker } from './bookmarks.js';

const POLL_MS = 5000;

// exportRequestForm: the police request for footage. opts: {cameras, from,
// to, reason, crimeRef, cameraList, onDone(export), onCancel}.
export function exportRequestForm(ctx, opts) {
  const crime = h('input', { id: 'ex-crime', required: true, maxlength: 64, placeholder: 'e.g. 01/123456/26', pattern: '[A-Za-z0-9/_.\\-]{1,64}' });
  crime.value = opts.crimeRef || '';
  const cams = cameraPicker('ex-cameras', opts.cameraList, opts.cameras || []);
  const from = h('input', { type: 'datetime-local', step: '1', id: 'ex-from', required: true });
  const to = h('input', { type: 'datetime-local', step: '1', id: 'ex-to', required: true });
  const now = Date.now();
  from.value = toLondonInput(opts.from || new Date(now - 15 * 60e3));
  to.value = toLondonInput(opts.to || new Date(now));
  const fromNote = h('span', { class: 'rec-note' });
  const toNote = h('span', { class: 'rec-note' });
  from.addEventListener('change', () => readLondon(from, fromNote));
  to.addEventListener('change', () => readLondon(to, toNote));
  const reason = h('textarea', { id: 'ex-reason', rows: 3, maxlength: 500, required: true, placeholder: 'Why this footage is needed' });
  reason.value = (opts.reason || '').slice(0, 500);
  const err = h('p', { class: 'form-error', role: 'alert' });
  const send = h('button', { class: 'btn btn-primary', type: 'submit', id: 'ex-submit' }, icon('evidence'), ' Send request');
  const form = h('form', { class: 'rec-form', id: 'ex-form' },
    h('p', { class: 'muted' }, 'A supervisor (someone other than you) approves or refuses the request. Once approved you may view this footage and download the evidence bundle.'),
    h('label', { class: 'field' }, h('span', {}, 'Crime reference'), crime),
    h('div', { class: 'field' }, h('span', {}, 'Cameras'), cams),
    h('div', { class: 'rec-row' },
      h('label', { class: 'field' }, h('span', {}, 'From (London)'), from, fromNote),
      h('label', { class: 'field' }, h('span', {}, 'To (London)'), to, toNote)),
    h('label', { class: 'field' }, h('span', {}, 'Reason'), reason),
    err,
    h('div', { class: 'toolbar' }, send,
      opts.onCancel ? h('button', { class: 'btn', type: 'button', onclick: opts.onCancel }, 'Cancel') : null));
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    err.textContent = '';
    const f = readLondon(from, fromNote);
    const t = readLondon(to, toNote);
    const cameras = cams.value();
    if (!crime.value.trim()) { err.textContent = 'The crime reference is required.'; crime.focus(); return; }
    if (!cameras.length) { err.textContent = 'Name at least one camera.'; return; }
    if (!f || !t || t <= f) { err.textContent = 'Give a time range whose end is after its start.'; return; }
    if (!reason.value.trim()) { err.textContent = 'Say why the footage is needed.'; reason.focus(); return; }
    send.disabled = true;
    try {
      const x = await api('POST', '/api/v1/exports', {
        cameras, from: rfc3339(f), to: rfc3339(t), crime_reference: crime.value.trim(), reason: reason.value.trim(),
      });
      opts.onDone?.(x);
    } catch (ex) {
      err.textContent = errorText(ex);
    } finally {
      send.disabled = false;
    }
  });
  return form;
}

const STATE_BADGE = { requested: 'badge-warn', approved: 'badge-online', refused: 'badge-offline', expired: 'badge-disabled' };

function stateBadge(x) {
  return h('span', { class: `badge ${STATE_BADGE[x.state] || ''}`, data: { state: x.state } }, x.state);
}

function buildText(x) {
  if (x.state !== 'approved' || !x.build) return '';
  const b = x.build;
  switch (b.state) {
    case 'done': return `built${b.master_files ? `: ${b.master_files} master file${b.master_files === 1 ? '' : 's'}` : ''}`;
    case 'failed': return `build failed: ${b.error || 'see the service log'}`;
    case 'running': return 'building…';
    case 'queued': return 'queued to build';
    default: return 'waiting to build';
  }
}

const range = (from, to) => `${londonDateTime(from)} → ${londonDateTime(to)}`;

// reasonDialog asks for a reason (and runs act(reason)) in a modal.
function reasonDialog(title, label, action, act, opts = {}) {
  const text = h('textarea', { id: 'ev-reason', rows: 3, maxlength: 500, required: true });
  text.value = opts.value || '';
  const extra = opts.extra || [];
  const err = h('p', { class: 'form-error', role: 'alert' });
  const ok = h('button', { class: `btn ${opts.danger ? 'btn-danger' : 'btn-primary'}`, type: 'submit', id: 'ev-confirm' }, action);
  let close = () => {};
  const form = h('form', { class: 'rec-form', id: 'ev-reason-form' },
    opts.intro ? h('p', { class: 'muted' }, opts.intro) : null,
    extra,
    h('label', { class: 'field' }, h('span', {}, label), text),
    err,
    h('div', { class: 'toolbar' }, ok, h('button', { class: 'btn', type: 'button', onclick: () => close() }, 'Cancel')));
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    if (!text.value.trim() && !opts.optional) { err.textContent = 'A reason is required: it goes in the evidence log.'; text.focus(); return; }
    ok.disabled = true;
    try {
      await act(text.value.trim());
      close();
    } catch (ex) {
      err.textContent = errorText(ex);
    } finally {
      ok.disabled = false;
    }
  });
  close = openModal(title, form);
}

export function mount(root, ctx) {
  loadCSS('/static/pages/bookmarks.css');
  loadCSS('/static/pages/evidence.css');
  const aborts = new AbortController();
  const timers = [];
  const me = ctx.me.username;
  const police = ctx.can('exports.request');
  const approver = ctx.can('exports.approve');
  const holdsRead = ctx.can('holds.read');
  const holdsManage = ctx.can('holds.manage');
  let cameraList = [];
  const links = new Map(); // export id → {url, expires_at}

  const sections = [];
  const mine = h('tbody', { id: 'ex-mine' });
  const pending = h('tbody', { id: 'ex-pending' });
  const decided = h('tbody', { id: 'ex-decided' });
  const holds = h('tbody', { id: 'hold-rows' });
  const exStatus = h('p', { class: 'muted', role: 'status', id: 'ex-status' });
  const holdStatus = h('p', { class: 'muted', role: 'status', id: 'hold-status' });
  const showReleased = h('input', { type: 'checkbox', id: 'hold-all' });

  const exHead = (...cols) => h('thead', {}, h('tr', {}, cols.map((c) => h('th', {}, c))));

  if (police) {
    sections.push(h('div', { class: 'panel', id: 'ex-police' },
      h('div', { class: 'rec-head' }, h('h2', {}, 'My evidence requests'),
        h('button', { class: 'btn btn-primary', type: 'button', id: 'ex-new', onclick: () => newRequest() }, icon('plus'), ' New request')),
      exStatus,
      h('table', { class: 'data rec-table', id: 'ex-mine-table' },
        exHead('Crime ref', 'Cameras', 'Footage (London)', 'State', 'Decision', 'Bundle', ''), mine)));
  }
  if (approver) {
    sections.push(h('div', { class: 'panel', id: 'ex-approve' },
      h('h2', {}, 'Requests awaiting a decision'),
      police ? null : exStatus,
      h('table', { class: 'data rec-table', id: 'ex-pending-table' },
        exHead('Crime ref', 'Officer', 'Cameras', 'Footage (London)', 'Reason', 'Requested', ''), pending)),
    h('div', { class: 'panel', id: 'ex-decided-panel' },
      h('h2', {}, 'Decided requests'),
      h('table', { class: 'data rec-table', id: 'ex-decided-table' },
        exHead('Crime ref', 'Officer', 'Cameras', 'Footage (London)', 'State', 'Decision', 'Bundle'), decided)));
  }
  if (holdsRead) {
    sections.push(h('div', { class: 'panel', id: 'holds' },
      h('div', { class: 'rec-head' }, h('h2', {}, 'Legal holds'),
        h('label', { class: 'field-inline' }, showReleased, h('span', {}, 'Show released')),
        holdsManage ? h('button', { class: 'btn btn-primary', type: 'button', id: 'hold-new', onclick: () => placeHold() }, icon('plus'), ' Place hold') : null),
      h('p', { class: 'muted' }, 'Held footage is not deleted by retention. Releasing a hold takes two supervisors: one asks, another confirms.'),
      holdStatus,
      h('table', { class: 'data rec-table', id: 'hold-table' },
        exHead('#', 'Camera', 'Footage (London)', 'Reason', 'Asked by', 'Placed', 'Review', 'State', ''), holds)));
  }
  if (!sections.length) sections.push(h('div', { class: 'panel' }, h('p', {}, 'Nothing here for your role.')));
  root.replaceChildren(h('section', { class: 'rec-page ev-page' }, h('h1', {}, 'Evidence'), sections));

  // --- exports
  function newRequest(prefill = {}) {
    let close = () => {};
    const form = exportRequestForm(ctx, {
      ...prefill, cameraList,
      onDone: (x) => { close(); ctx.toast(`Request filed for ${x.crime_reference}; a supervisor must approve it`, 'ok'); loadExports(); },
      onCancel: () => close(),
    });
    close = openModal('New evidence request', form);
  }

  async function loadExports() {
    if (!police && !approver) return;
    try {
      const r = await api('GET', '/api/v1/exports', null, { signal: aborts.signal });
      const list = r.exports || [];
      exStatus.textContent = '';
      if (police) drawMine(list.filter((x) => x.requested_by === me));
      if (approver) {
        drawPending(list.filter((x) => x.state === 'requested'));
        drawDecided(list.filter((x) => x.state !== 'requested').slice(0, 50));
      }
    } catch (e) {
      if (e.name === 'AbortError') return;
      exStatus.textContent = errorText(e);
    }
  }

  const cams = (x) => x.cameras.map((c) => h('span', { class: 'badge' }, c));
  const decision = (x) => (x.decided_by ? `${x.state} by ${x.decided_by}${x.decision_reason ? ': ' + x.decision_reason : ''}` : '');

  function drawMine(list) {
    if (!list.length) {
      mine.replaceChildren(h('tr', {}, h('td', { colspan: 7, class: 'muted' }, 'No requests yet. Use “New request”, or start one from an incident.')));
      return;
    }
    mine.replaceChildren(...list.map((x) => {
      const built = x.state === 'approved' && x.build && x.build.state === 'done';
      const link = links.get(x.id);
      const actions = [];
      if (x.state === 'approved' && ctx.can('footage.granted')) {
        actions.push(h('a', { class: 'btn btn-small', href: `#/playback?${new URLSearchParams({ camera: x.cameras[0], at: x.from, ...(x.cameras.length > 1 ? { cameras: x.cameras.slice(0, 4).join(',') } : {}) })}`, data: { action: 'play' } }, icon('play'), ' View'));
      }
      if (link) {
        actions.push(h('a', { class: 'btn btn-small btn-primary', href: link.url, download: '', id: `ex-download-${x.id}`, data: { action: 'download' }, title: `${link.one_time ? 'One-time link' : 'Link'} valid until ${londonDateTime(link.expires_at)}` }, icon('save'), ' Download bundle'));
      } else if (built) {
        actions.push(h('button', { class: 'btn btn-small btn-primary', type: 'button', data: { action: 'link' }, onclick: (e) => makeLink(x, e.currentTarget) }, 'Create download link'));
      }
      return h('tr', { data: { id: x.id, state: x.state, build: x.build ? x.build.state : '' } },
        h('td', { class: 'mono' }, x.crime_reference),
        h('td', {}, cams(x)),
        h('td', {}, range(x.from, x.to)),
        h('td', {}, stateBadge(x)),
        h('td', {}, decision(x) || (x.expires_at ? `expires ${londonDateTime(x.expires_at)} if undecided` : '')),
        h('td', { class: 'ex-build' }, buildText(x)),
        h('td', { class: 'rec-actions' }, actions));
    }));
  }

  async function makeLink(x, btn) {
    btn.disabled = true;
    try {
      const l = await api('POST', `/api/v1/exports/${encodeURIComponent(x.id)}/links`, { one_time: true });
      links.set(x.id, l);
      ctx.toast(`Download link ready (one use, until ${londonDateTime(l.expires_at)})`, 'ok');
      loadExports();
    } catch (e) {
      btn.disabled = false;
      ctx.toast(errorText(e), 'error');
    }
  }

  function drawPending(list) {
    if (!list.length) {
      pending.replaceChildren(h('tr', {}, h('td', { colspan: 7, class: 'muted' }, 'Nothing awaits a decision.')));
      return;
    }
    pending.replaceChildren(...list.map((x) => {
      const own = x.requested_by === me;
      return h('tr', { data: { id: x.id, state: x.state } },
        h('td', { class: 'mono' }, x.crime_reference),
        h('td', {}, x.officer || x.requested_by),
        h('td', {}, cams(x)),
        h('td', {}, range(x.from, x.to)),
        h('td', { class: 'rec-note-cell' }, x.reason),
        h('td', {}, londonDateTime(x.requested_at)),
        h('td', { class: 'rec-actions' },
          h('button', { class: 'btn btn-small btn-primary', type: 'button', data: { action: 'approve' }, disabled: own,
            title: own ? 'You asked for this: someone else must approve it' : 'Approve', onclick: () => decide(x, true) }, 'Approve'),
          h('button', { class: 'btn btn-small btn-danger', type: 'button', data: { action: 'refuse' }, disabled: own,
            title: own ? 'You asked for this: someone else must decide it' : 'Refuse', onclick: () => decide(x, false) }, 'Refuse')));
    }));
  }

  function drawDecided(list) {
    decided.replaceChildren(...(list.length ? list.map((x) => h('tr', { data: { id: x.id, state: x.state } },
      h('td', { class: 'mono' }, x.crime_reference),
      h('td', {}, x.officer || x.requested_by),
      h('td', {}, cams(x)),
      h('td', {}, range(x.from, x.to)),
      h('td', {}, stateBadge(x)),
      h('td', {}, decision(x)),
      h('td', {}, buildText(x)))) : [h('tr', {}, h('td', { colspan: 7, class: 'muted' }, 'None yet.'))]));
  }

  function decide(x, approve) {
    reasonDialog(approve ? `Approve ${x.crime_reference}` : `Refuse ${x.crime_reference}`,
      approve ? 'Reason for approving' : 'Reason for refusing',
      approve ? 'Approve' : 'Refuse',
      async (reason) => {
        await api('POST', `/api/v1/exports/${encodeURIComponent(x.id)}/${approve ? 'approve' : 'refuse'}`, { reason });
        ctx.toast(`${x.crime_reference} ${approve ? 'approved: the bundle is being built' : 'refused'}`, 'ok');
        loadExports();
      },
      {
        danger: !approve,
        intro: `${x.officer || x.requested_by} asks for ${x.cameras.join(', ')} from ${londonDateTime(x.from)} to ${londonDateTime(x.to)}: “${x.reason}”. ` +
          (approve ? 'Approving lets the officer view this footage and builds the evidence bundle.' : ''),
      });
  }

  // --- holds
  async function loadHolds() {
    if (!holdsRead) return;
    try {
      const q = showReleased.checked ? '' : '?active=true';
      const r = await api('GET', '/api/v1/holds' + q, null, { signal: aborts.signal });
      drawHolds(r.holds || []);
      holdStatus.textContent = '';
    } catch (e) {
      if (e.name === 'AbortError') return;
      holdStatus.textContent = errorText(e);
    }
  }
  showReleased.addEventListener('change', loadHolds);

  function drawHolds(list) {
    if (!list.length) {
      holds.replaceChildren(h('tr', {}, h('td', { colspan: 9, class: 'muted' }, 'No holds.')));
      return;
    }
    holds.replaceChildren(...list.map((x) => {
      let st;
      if (!x.active) st = h('span', { class: 'badge badge-disabled' }, `released by ${x.released_by || '?'}`);
      else if (x.release_requested_by) st = h('span', { class: 'badge badge-warn', title: x.release_reason }, `release asked by ${x.release_requested_by}`);
      else st = h('span', { class: 'badge badge-online' }, 'active');
      const acts = [];
      if (holdsManage && x.active) {
        acts.push(h('button', { class: 'btn btn-small', type: 'button', data: { action: 'extend' }, onclick: () => extendHold(x) }, 'Extend'));
        if (!x.release_requested_by) {
          acts.push(h('button', { class: 'btn btn-small', type: 'button', data: { action: 'release-request' }, onclick: () => askRelease(x) }, 'Request release'));
        } else {
          const own = x.release_requested_by === me;
          acts.push(h('button', { class: 'btn btn-small btn-danger', type: 'button', data: { action: 'release' }, disabled: own,
            title: own ? 'You asked for the release: another supervisor must confirm it' : 'Confirm the release', onclick: () => release(x) }, 'Release'));
        }
      }
      return h('tr', { data: { id: String(x.id) } },
        h('td', {}, String(x.id)),
        h('td', {}, h('span', { class: 'badge' }, x.camera)),
        h('td', {}, range(x.from, x.to)),
        h('td', { class: 'rec-note-cell' }, x.reason),
        h('td', {}, x.requested_by),
        h('td', {}, `${x.placed_by}, ${londonDateTime(x.placed_at)}`),
        h('td', {}, x.review_at ? londonDateTime(x.review_at) : '—'),
        h('td', {}, st),
        h('td', { class: 'rec-actions' }, acts));
    }));
  }

  function placeHold() {
    const camsPick = cameraPicker('hold-cameras', cameraList, []);
    const from = h('input', { type: 'datetime-local', step: '1', id: 'hold-from', required: true });
    const to = h('input', { type: 'datetime-local', step: '1', id: 'hold-to', required: true });
    const review = h('input', { type: 'datetime-local', step: '1', id: 'hold-review', required: true });
    const asked = h('input', { id: 'hold-asked', required: true, placeholder: 'who asked for it (officer, DPO, solicitor)' });
    const now = Date.now();
    from.value = toLondonInput(new Date(now - 3600e3));
    to.value = toLondonInput(new Date(now));
    review.value = toLondonInput(new Date(now + 30 * 86400e3));
    const note = h('span', { class: 'rec-note' });
    const reason = h('textarea', { id: 'hold-reason', rows: 3, maxlength: 500, required: true });
    const err = h('p', { class: 'form-error', role: 'alert' });
    const ok = h('button', { class: 'btn btn-primary', type: 'submit', id: 'hold-submit' }, 'Place hold');
    let close = () => {};
    const form = h('form', { class: 'rec-form', id: 'hold-form' },
      h('div', { class: 'field' }, h('span', {}, 'Cameras'), camsPick),
      h('div', { class: 'rec-row' },
        h('label', { class: 'field' }, h('span', {}, 'From (London)'), from),
        h('label', { class: 'field' }, h('span', {}, 'To (London)'), to)),
      note,
      h('label', { class: 'field' }, h('span', {}, 'Review on (London)'), review),
      h('label', { class: 'field' }, h('span', {}, 'Asked for by'), asked),
      h('label', { class: 'field' }, h('span', {}, 'Reason'), reason),
      err,
      h('div', { class: 'toolbar' }, ok, h('button', { class: 'btn', type: 'button', onclick: () => close() }, 'Cancel')));
    form.addEventListener('submit', async (e) => {
      e.preventDefault();
      err.textContent = '';
      const f = readLondon(from, note), t = readLondon(to, note), rv = readLondon(review, note);
      const list = camsPick.value();
      if (!list.length) { err.textContent = 'Pick at least one camera.'; return; }
      if (!f || !t || t <= f) { err.textContent = 'Give a range whose end is after its start.'; return; }
      if (!rv) { err.textContent = 'Give a review date.'; return; }
      ok.disabled = true;
      const done = [];
      try {
        for (const camera of list) {
          await api('POST', '/api/v1/holds', { camera, from: rfc3339(f), to: rfc3339(t), review_at: rfc3339(rv), reason: reason.value.trim(), requested_by: asked.value.trim() });
          done.push(camera);
        }
        close();
        ctx.toast(`Hold placed on ${done.join(', ')}`, 'ok');
      } catch (ex) {
        err.textContent = (done.length ? `Placed on ${done.join(', ')}; then: ` : '') + errorText(ex);
      } finally {
        ok.disabled = false;
        loadHolds();
      }
    });
    close = openModal('Place a legal hold', form);
  }

  function extendHold(x) {
    const to = h('input', { type: 'datetime-local', step: '1', id: 'hold-ext-to' });
    const review = h('input', { type: 'datetime-local', step: '1', id: 'hold-ext-review' });
    to.value = toLondonInput(x.to);
    review.value = toLondonInput(x.review_at ? new Date(x.review_at) : new Date(Date.now() + 30 * 86400e3));
    reasonDialog(`Extend hold #${x.id}`, 'Reason', 'Extend', async (reason) => {
      const body = { reason };
      const t = readLondon(to), rv = readLondon(review);
      if (t && t.getTime() !== new Date(x.to).getTime()) body.to = rfc3339(t);
      if (rv) body.review_at = rfc3339(rv);
      await api('POST', `/api/v1/holds/${x.id}/extend`, body);
      ctx.toast(`Hold #${x.id} extended`, 'ok');
      loadHolds();
    }, {
      intro: `Camera ${x.camera}, ${range(x.from, x.to)}. A hold can be made longer, not shorter.`,
      extra: [h('label', { class: 'field' }, h('span', {}, 'Hold until (London)'), to), h('label', { class: 'field' }, h('span', {}, 'Next review (London)'), review)],
    });
  }

  function askRelease(x) {
    reasonDialog(`Request release of hold #${x.id}`, 'Why the footage no longer needs holding', 'Request release', async (reason) => {
      await api('POST', `/api/v1/holds/${x.id}/release-request`, { reason });
      ctx.toast(`Release of hold #${x.id} requested; another supervisor must confirm it`, 'ok');
      loadHolds();
    }, { intro: 'Another supervisor must confirm the release. Until then the footage stays held.' });
  }

  async function release(x) {
    if (!confirm(`Release hold #${x.id} on ${x.camera}? ${x.release_requested_by} asked: “${x.release_reason}”. Retention may then delete this footage.`)) return;
    try {
      await api('POST', `/api/v1/holds/${x.id}/release`);
      ctx.toast(`Hold #${x.id} released`, 'ok');
    } catch (e) {
      ctx.toast(errorText(e), 'error');
    }
    loadHolds();
  }

  // --- go
  (async () => {
    if (ctx.can('cameras.read')) {
      try {
        const r = await api('GET', '/api/v1/cameras', null, { signal: aborts.signal });
        cameraList = (r.cameras || []).map((c) => ({ id: c.id, name: c.name || c.id }));
      } catch (e) {
        if (e.name === 'AbortError') return;
      }
    }
    loadExports();
    loadHolds();
  })();
  timers.push(setInterval(() => { if (!document.querySelector('.modal[data-owner="records"]')) loadExports(); }, POLL_MS));
  timers.push(setInterval(() => { if (!document.querySelector('.modal[data-owner="records"]')) loadHolds(); }, 30e3));

  return () => {
    aborts.abort();
    timers.forEach(clearInterval);
    document.querySelectorAll('.modal[data-owner="records"]').forEach((m) => m.remove());
  };
}
