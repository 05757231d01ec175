// Alert rules: the "Alert rules" view of the Hotspots page
// (#/hotspots?view=rules; &rule=<name> marks one rule). A rule raises an
// activity alert when, in a 15-minute bucket within its London hours, a
// camera zone's share of frames with motion is at least min_share and more
// than factor times its usual: the same bucket of the week over the past 4
// weeks, the baseline the Hotspots scores use.
//
// Operators (alerts.ack) read the rules behind the alerts they answer;
// supervisors (alerts.rules) create, edit, enable or disable and delete
// them. The server judges every value: its field errors are shown next to
// the fields they name, a 409 next to the name.
//
// Data: GET/POST /api/v1/alert-rules, PUT/DELETE /api/v1/alert-rules/{id};
// cameras from GET /api/v1/cameras, a camera's zones from
// GET /api/v1/cameras/{id}/analytics.
//
// Not a page of its own (the router does not list it): pages/hotspots.js
// mounts it with mountRules(container, ctx) → unmount.
//
// Hooks for tests: #rules-new, #rules-refresh, #rules-status,
// #rules-readonly (operators), table#rules-list tbody tr[data-rule=<id>]
// [data-name][data-enabled] with .rule-text and buttons [data-act=edit|
// toggle|delete]; the dialog #rule-dialog, form #rule-form with controls
// named as the API's fields (min_share in percent), select[name=zone]
// [data-camera] once that camera's zones are in, .field-error[data-field],
// #rule-error; the delete dialog #rule-delete with [data-role=submit].
import { api, APIError, errorText, h, loadCSS } from '../api.js';
import { icon } from '../icons.js';
import { londonDateTime } from '../lib/time.js';
import { modal } from '../lib/modal.js';

// The severities ui/alertrules.go (store.AlertRule.Validate) accepts.
export const SEVERITIES = ['info', 'warning', 'critical'];

// The fields a client writes (PUT replaces the whole rule).
const WRITABLE = ['name', 'camera', 'zone', 'factor', 'min_share', 'hour_from', 'hour_to', 'severity', 'enabled'];

// The API's defaults for a new rule.
const NEW_RULE = { name: '', camera: '', zone: '', factor: 3, min_share: 0.05, hour_from: 0, hour_to: 24, severity: 'warning', enabled: true };

const hour = (n) => String(n).padStart(2, '0') + ':00';
const short = (x) => String(+Number(x).toFixed(2)); // 3 → "3", 2.5 → "2.5", 5.000000001 → "5"

/** hoursText: "22:00–06:00", or "all day" for 0–24. */
export function hoursText(r) {
  return r.hour_from === 0 && r.hour_to === 24 ? 'all day' : `${hour(r.hour_from)}–${hour(r.hour_to)}`;
}

/**
 * ruleText says a rule in words: "Motion in zone 'Gate' of cam001 above 3x
 * usual and in at least 5% of frames, 22:00–06:00, warning".
 */
export function ruleText(r) {
  const where = r.zone ? `zone '${r.zone}' of ${r.camera}` : `the whole picture of ${r.camera}`;
  return `Motion in ${where} above ${short(r.factor)}x usual and in at least ${short(100 * r.min_share)}% of frames, ${hoursText(r)}, ${r.severity}`;
}

function writable(r) {
  const out = {};
  for (const k of WRITABLE) out[k] = r[k];
  return out;
}

// dialog opens a modal form named id. The server is the judge of every
// value (and names the field): the browser's own validation would stop
// some of them before it is asked.
function dialog(id, title, body, { submit, danger = false, onSubmit }) {
  const names = id === 'rule-dialog' ? { formID: 'rule-form', errorID: 'rule-error' } : { formID: id + '-form', errorID: id + '-error' };
  return modal(title, body, { submit, danger, id, ...names, novalidate: true, formClass: 'rule-form', onSubmit: (form, err) => onSubmit(err) });
}

export function mountRules(root, ctx) {
  loadCSS('/static/pages/rules.css');
  const manage = ctx.can('alerts.rules');
  const abort = new AbortController();
  const dialogs = new Set(); // close functions of open dialogs
  let alive = true;
  let rules = [];
  let cameras = []; // [{id, name, enabled}], sorted by id
  let picked = ctx.params.get('rule') || '';

  const get = (path) => api('GET', path, null, { signal: abort.signal });
  const status = h('p', { class: 'muted', id: 'rules-status', role: 'status' });
  const listBox = h('div', { class: 'rules-wrap', id: 'rules-box' });

  root.append(h('section', { class: 'panel rules-panel', 'aria-label': 'Alert rules' },
    h('div', { class: 'toolbar' }, h('h2', {}, 'Alert rules'), h('span', { class: 'spacer' }),
      h('button', { class: 'btn', type: 'button', id: 'rules-refresh', onclick: () => load() }, icon('refresh'), 'Refresh'),
      manage ? h('button', { class: 'btn btn-primary', type: 'button', id: 'rules-new', onclick: () => edit(null) }, icon('plus'), 'New rule') : null),
    h('p', { class: 'muted rules-intro' },
      'Each rule watches one camera zone (or the whole picture). Every 15 minutes within its hours (London time), it raises an alert ',
      'when the share of frames with motion is at least its minimum and more than its factor times the usual: the same 15 minutes ',
      'of the week over the past four weeks, the baseline the activity scores use.'),
    manage ? null : h('p', { class: 'muted', id: 'rules-readonly' }, 'Supervisors decide these rules; they are here so you know why an alert was raised.'),
    status, listBox));

  async function load() {
    status.className = 'muted';
    status.textContent = 'Loading…';
    try {
      // Camera names are a nicety (and the form's picker): the rules show without them.
      const [res, cams] = await Promise.all([get('/api/v1/alert-rules'), get('/api/v1/cameras').catch(() => null)]);
      if (!alive) return;
      rules = res.rules || [];
      if (cams) cameras = (cams.cameras || []).map((c) => ({ id: c.id, name: c.name || '', enabled: c.enabled !== false })).sort((a, b) => a.id.localeCompare(b.id));
      draw();
      const on = rules.filter((r) => r.enabled).length;
      status.textContent = rules.length ? `${rules.length} ${rules.length === 1 ? 'rule' : 'rules'}, ${on} enabled.` : '';
    } catch (e) {
      if (!alive || e.name === 'AbortError') return;
      status.className = 'form-error';
      status.textContent = 'Cannot load the alert rules: ' + errorText(e);
    }
  }

  const cameraName = (id) => (cameras.find((c) => c.id === id) || {}).name || '';

  function draw() {
    const act = (label, what, fn, cls = '') => h('button', { class: `btn btn-small ${cls}`, type: 'button', data: { act: what }, onclick: fn }, label);
    const rows = rules.map((r) => h('tr', {
      class: [r.enabled ? '' : 'rule-off', r.name === picked ? 'rule-picked' : ''].filter(Boolean).join(' '),
      data: { rule: String(r.id), name: r.name, enabled: String(!!r.enabled) },
    },
    h('td', {}, h('strong', {}, r.name)),
    h('td', { class: 'rule-text', title: cameraName(r.camera) ? `${r.camera} is ${cameraName(r.camera)}; hours are London time` : 'hours are London time' }, ruleText(r)),
    h('td', {}, r.enabled ? h('span', { class: 'badge badge-online' }, 'enabled') : h('span', { class: 'badge badge-disabled' }, 'disabled')),
    h('td', { class: 'rule-created' }, r.created ? londonDateTime(r.created) : '—', h('br'), h('span', { class: 'muted' }, 'by ' + (r.created_by || '—'))),
    manage ? h('td', {}, h('div', { class: 'toolbar row-actions' },
      act('Edit', 'edit', () => edit(r)),
      act(r.enabled ? 'Disable' : 'Enable', 'toggle', (ev) => toggle(r, ev.currentTarget)),
      act('Delete', 'delete', () => remove(r), 'btn-danger'))) : null));
    if (!rows.length) {
      rows.push(h('tr', { class: 'rules-empty' }, h('td', { colspan: manage ? '5' : '4', class: 'muted' },
        'No alert rules yet. ', manage ? 'Make one with New rule.' : 'A supervisor makes them.')));
    }
    listBox.replaceChildren(h('table', { class: 'data rules-list', id: 'rules-list' },
      h('thead', {}, h('tr', {}, ['Name', 'Rule (London hours)', 'State', 'Created', manage ? '' : null].filter((x) => x !== null).map((t) => h('th', {}, t)))),
      h('tbody', {}, rows)));
    const mark = listBox.querySelector('tr.rule-picked');
    if (mark) { mark.scrollIntoView({ block: 'nearest' }); picked = ''; }
  }

  async function toggle(r, btn) {
    btn.disabled = true;
    try {
      const saved = await api('PUT', `/api/v1/alert-rules/${r.id}`, { ...writable(r), enabled: !r.enabled });
      ctx.toast(`Rule “${saved.name}” ${saved.enabled ? 'enabled' : 'disabled'}`, 'ok');
    } catch (e) {
      ctx.toast(`Rule “${r.name}”: ${errorText(e)}`, 'error');
    }
    if (alive) load();
  }

  function remove(r) {
    const close = dialog('rule-delete', `Delete the rule “${r.name}”?`,
      [h('p', {}, ruleText(r) + '.'), h('p', { class: 'muted' }, 'It raises no more alerts. The alerts it raised stay, and the deletion is logged.')], {
        submit: 'Delete rule', danger: true,
        onSubmit: async () => {
          try {
            await api('DELETE', `/api/v1/alert-rules/${r.id}`);
          } catch (e) {
            if (!(e instanceof APIError && e.status === 404)) throw e; // gone already: the list says so
          }
          dialogs.delete(close);
          ctx.toast(`Rule “${r.name}” deleted`, 'ok');
          load();
        },
      });
    dialogs.add(close);
  }

  function edit(r) {
    const isNew = !r;
    const v = { ...NEW_RULE, ...(r || {}) };
    if (isNew) v.camera = (cameras.find((c) => c.enabled) || cameras[0] || {}).id || '';
    const errs = {}; // API field → its error element, next to the field
    const controls = {}; // API field → its control
    // field lays out one control with its label, hint and error; the
    // control (input) may sit inside content (a number with its unit).
    const field = (label, f, input, { content = input, hint = null, inline = false } = {}) => {
      controls[f] = input;
      errs[f] = h('span', { class: 'form-error field-error', id: 'rule-err-' + f, data: { field: f } });
      input.setAttribute('aria-describedby', 'rule-err-' + f);
      return inline
        ? h('label', { class: 'field field-inline', data: { field: f } }, content, h('span', {}, label), errs[f])
        : h('label', { class: 'field', data: { field: f } }, h('span', {}, label), content, hint, errs[f]);
    };

    const name = h('input', { name: 'name', value: v.name, required: true, maxlength: '80', autocomplete: 'off', placeholder: 'e.g. Night at the gate' });
    const camSel = h('select', { name: 'camera' });
    const camOpts = cameras.map((c) => h('option', { value: c.id }, `${c.id}${c.name ? ' · ' + c.name : ''}${c.enabled ? '' : ' (disabled)'}`));
    if (v.camera && !cameras.some((c) => c.id === v.camera)) camOpts.push(h('option', { value: v.camera }, v.camera));
    if (!camOpts.length) camOpts.push(h('option', { value: '' }, 'No cameras'));
    camSel.replaceChildren(...camOpts);
    camSel.value = v.camera;
    const zoneSel = h('select', { name: 'zone' });
    const zoneNote = h('small', { class: 'muted', id: 'rule-zone-note' });
    const factor = h('input', { name: 'factor', type: 'number', min: '1', max: '100', step: 'any', value: short(v.factor), inputmode: 'decimal' });
    const share = h('input', { name: 'min_share', type: 'number', min: '0', max: '100', step: 'any', value: short(100 * v.min_share), inputmode: 'decimal' });
    const from = h('select', { name: 'hour_from' }, Array.from({ length: 24 }, (_, i) => h('option', { value: String(i) }, hour(i))));
    const to = h('select', { name: 'hour_to' }, Array.from({ length: 24 }, (_, i) => h('option', { value: String(i + 1) }, hour(i + 1))));
    from.value = String(v.hour_from);
    to.value = String(v.hour_to);
    const sev = h('select', { name: 'severity' }, SEVERITIES.map((s) => h('option', { value: s }, s)));
    sev.value = v.severity;
    const enabled = h('input', { type: 'checkbox', name: 'enabled', checked: !!v.enabled });

    // The zone picker follows the camera: its zones, plus the whole picture.
    let zoneSeq = 0;
    async function fillZones(keep) {
      const cam = camSel.value;
      const seq = ++zoneSeq;
      delete zoneSel.dataset.camera;
      zoneSel.disabled = true;
      zoneSel.replaceChildren(h('option', { value: keep }, keep || 'Whole picture'));
      zoneNote.textContent = cam ? 'Loading the zones of ' + cam + '…' : '';
      let names = [];
      let failed = '';
      if (cam) {
        try {
          const a = await get(`/api/v1/cameras/${encodeURIComponent(cam)}/analytics`);
          names = ((a && a.zones) || []).map((z) => z.name);
        } catch (e) {
          if (e.name === 'AbortError') return;
          failed = errorText(e);
        }
      }
      if (seq !== zoneSeq || !alive) return;
      const opts = [h('option', { value: '' }, 'Whole picture')].concat(names.map((n) => h('option', { value: n }, n)));
      if (keep && !names.includes(keep)) opts.push(h('option', { value: keep }, `${keep} (not a zone of ${cam})`));
      zoneSel.replaceChildren(...opts);
      zoneSel.value = keep;
      zoneSel.disabled = false;
      zoneSel.dataset.camera = cam;
      zoneNote.textContent = failed ? `Cannot read the zones of ${cam}: ${failed}`
        : names.length ? '' : `${cam} has no zones drawn; an engineer draws them in Admin › Cameras › Analytics.`;
    }
    camSel.addEventListener('change', () => {
      const cur = zoneSel.value;
      fillZones('').then(() => {
        // the same zone name on the new camera stays picked
        if (cur && [...zoneSel.options].some((o) => o.value === cur)) zoneSel.value = cur;
      });
    });

    const unit = (input, text) => h('span', { class: 'rule-unit' }, input, h('span', {}, text));
    const hint = (text) => h('small', { class: 'muted' }, text);
    const body = [
      field('Name', 'name', name),
      h('div', { class: 'form-grid' },
        field('Camera', 'camera', camSel),
        field('Zone', 'zone', zoneSel, { hint: zoneNote })),
      h('div', { class: 'form-grid' },
        field('Above its usual motion by', 'factor', factor, { content: unit(factor, '× usual'), hint: hint('1 to 100 times the usual at that time of the week') }),
        field('In at least', 'min_share', share, { content: unit(share, '% of frames'), hint: hint('with motion in the 15 minutes') }),
        field('From (London)', 'hour_from', from),
        field('To (London)', 'hour_to', to)),
      h('p', { class: 'muted rule-hours-note' }, 'A from later than the to wraps midnight: 22:00–06:00 is the night. 00:00–24:00 is all day.'),
      h('div', { class: 'form-grid' },
        field('Severity', 'severity', sev),
        field('Enabled', 'enabled', enabled, { inline: true })),
    ];

    function clear() {
      for (const [f, e] of Object.entries(errs)) {
        e.textContent = '';
        controls[f].removeAttribute('aria-invalid');
      }
    }
    // show puts a message next to its field; false when the form has no such field.
    function show(f, msg) {
      if (!errs[f]) return false;
      errs[f].textContent = errs[f].textContent ? errs[f].textContent + '; ' + msg : msg;
      controls[f].setAttribute('aria-invalid', 'true');
      return true;
    }
    function focusFirst() {
      const bad = WRITABLE.map((f) => controls[f]).find((el) => el && el.getAttribute('aria-invalid') === 'true');
      if (bad) bad.focus();
    }

    const close = dialog('rule-dialog', isNew ? 'New alert rule' : `Edit the rule “${v.name}”`, body, {
      submit: isNew ? 'Create rule' : 'Save',
      onSubmit: async (general) => {
        clear();
        const n = (el) => (el.value.trim() === '' ? NaN : Number(el.value));
        const rule = {
          name: name.value.trim(), camera: camSel.value, zone: zoneSel.value,
          factor: n(factor), min_share: n(share) / 100,
          hour_from: parseInt(from.value, 10), hour_to: parseInt(to.value, 10),
          severity: sev.value, enabled: enabled.checked,
        };
        // JSON has no NaN: an empty or unreadable number is said here.
        let local = false;
        if (!Number.isFinite(rule.factor)) local = show('factor', 'give a number, e.g. 3');
        if (!Number.isFinite(rule.min_share)) local = show('min_share', 'give a percentage, e.g. 5') || local;
        if (local) { focusFirst(); return false; }
        let saved;
        try {
          saved = isNew ? await api('POST', '/api/v1/alert-rules', rule) : await api('PUT', `/api/v1/alert-rules/${v.id}`, rule);
        } catch (e) {
          if (!(e instanceof APIError)) throw e;
          if (e.status === 409) {
            show('name', `“${rule.name}” is the name of another rule: choose another.`);
            focusFirst();
            return false;
          }
          if (e.status === 404 && !isNew) throw new Error('This rule was deleted meanwhile. Cancel, and make it again if it is still needed.');
          const fields = (e.body && Array.isArray(e.body.fields)) ? e.body.fields : [];
          if (!fields.length) throw e;
          const rest = fields.filter((f) => !show(f.field, f.message));
          general.textContent = rest.length ? rest.map((f) => `${f.field}: ${f.message}`).join('; ') : 'Check the fields marked.';
          focusFirst();
          return false;
        }
        dialogs.delete(close);
        picked = saved.name;
        ctx.toast(isNew ? `Rule “${saved.name}” created` : `Rule “${saved.name}” saved`, 'ok');
        load();
        return true;
      },
    });
    dialogs.add(close);
    fillZones(v.zone || '');
  }

  load();
  return () => {
    alive = false;
    abort.abort();
    for (const close of dialogs) close();
    dialogs.clear();
  };
}
