// Administration: users (roles, camera scope, disable, password reset,
// sign out everywhere, second-factor reset), cameras (add, edit, disable,
// delete, retention, analytics zones and masks) and API tokens. Each
// section shows only when the user's permissions allow it; the server
// checks every change anyway (a supervisor manages operators only).
// #/admin?tab=cameras&analytics=cam001 opens that camera's analytics editor.
import { api, errorText, h, loadCSS } from '../api.js';
import { icon } from '../icons.js';
import { londonDateTime } from '../lib/time.js';
import { mountAnalyticsEditor } from '../lib/analytics-editor.js';
import { modal } from '../lib/modal.js';

const ROLES = ['operator', 'supervisor', 'police', 'bjag', 'engineer', 'admin'];
const TOKEN_SCOPES = ['cameras.read', 'health.read', 'metrics.read', 'audit.read', 'evidence.read', 'hotspots.read'];

// secretBox shows a secret once (temporary password, token).
function secretBox(title, what, secret) {
  const s = h('div', { class: 'secret', id: 'admin-secret', tabindex: '0' }, secret);
  const copy = h('button', { class: 'btn', type: 'button', onclick: async () => {
    try { await navigator.clipboard.writeText(secret); copy.textContent = 'Copied'; } catch { copy.textContent = 'Select and copy it by hand'; }
  } }, 'Copy');
  modal(title, [h('p', {}, what), s, h('div', { class: 'toolbar' }, copy)], { submit: 'Done', cancel: false, onSubmit: () => true });
}

const field = (label, input, hint) => h('label', { class: 'field' }, h('span', {}, label), input, hint ? h('small', { class: 'muted' }, hint) : null);
const list = (s) => s.split(',').map((x) => x.trim()).filter(Boolean);
const when = (t) => (t ? londonDateTime(t) : '—');

export function mount(root, ctx) {
  const me = ctx.me;
  const isAdmin = (me.roles || []).includes('admin');
  const abort = new AbortController();
  let alive = true;
  const sections = [
    { key: 'users', title: 'Users', perm: 'users.manage', draw: drawUsers },
    { key: 'cameras', title: 'Cameras', perm: 'cameras.manage', draw: drawCameras },
    { key: 'tokens', title: 'API tokens', perm: 'tokens.manage', draw: drawTokens },
  ].filter((s) => ctx.can(s.perm));
  if (!sections.length) {
    root.append(h('div', { class: 'panel empty' }, h('h2', {}, 'Nothing to administer'), h('p', {}, 'Your roles manage no users, cameras or tokens.')));
    return () => {};
  }
  let current = sections.find((s) => s.key === ctx.params.get('tab')) || sections[0];
  const tabs = h('div', { class: 'admin-tabs', role: 'tablist' });
  const body = h('div', { id: 'admin-body' });
  root.append(h('h1', {}, 'Administration'), tabs, body);

  function drawTabs() {
    tabs.replaceChildren(...sections.map((s) => h('button', {
      class: 'btn', type: 'button', role: 'tab', id: 'admin-tab-' + s.key, 'aria-selected': String(s === current), 'aria-pressed': String(s === current),
      onclick: () => { current = s; drawTabs(); show(); },
    }, s.title)));
  }

  let editor = null; // the analytics editor's unmount, while it is open
  function closeEditor() {
    if (editor) editor();
    editor = null;
  }

  function openAnalytics(c) {
    closeEditor();
    loadCSS('/static/pages/analytics.css');
    history.replaceState(null, '', `#/admin?tab=cameras&analytics=${encodeURIComponent(c.id)}`);
    editor = mountAnalyticsEditor(body, ctx, c, {
      onBack: () => { closeEditor(); history.replaceState(null, '', '#/admin?tab=cameras'); show(); },
    });
  }

  async function show() {
    closeEditor();
    body.replaceChildren(h('p', { class: 'muted' }, 'Loading…'));
    try {
      await current.draw();
    } catch (e) {
      if (alive && e.name !== 'AbortError') body.replaceChildren(h('p', { class: 'form-error' }, errorText(e)));
    }
  }

  const get = (path) => api('GET', path, null, { signal: abort.signal });

  // ---- users ----
  function roleChecks(selected) {
    const allowed = isAdmin ? ROLES : ['operator'];
    return h('div', { class: 'role-checks', role: 'group', 'aria-label': 'Roles' }, ROLES.map((r) => h('label', {},
      h('input', { type: 'checkbox', name: 'role', value: r, checked: selected.includes(r), disabled: !allowed.includes(r) }), r)));
  }

  function scopeFields(scope = {}) {
    return [
      h('p', { class: 'muted' }, 'Camera scope: leave all three empty for every camera.'),
      h('div', { class: 'form-grid' },
        field('Sites', h('input', { name: 'sites', value: (scope.sites || []).join(', '), placeholder: 'comma list' })),
        field('Wards', h('input', { name: 'wards', value: (scope.wards || []).join(', '), placeholder: 'comma list' })),
        field('Cameras', h('input', { name: 'cameras', value: (scope.cameras || []).join(', '), placeholder: 'camera ids' }))),
    ];
  }

  function readScope(form) {
    return { sites: list(form.elements.sites.value), wards: list(form.elements.wards.value), cameras: list(form.elements.cameras.value) };
  }

  function readRoles(form) {
    return [...form.querySelectorAll('input[name=role]:checked')].map((i) => i.value);
  }

  function scopeText(s) {
    if (!s || (!(s.sites || []).length && !(s.wards || []).length && !(s.cameras || []).length)) return 'all cameras';
    return [['sites', s.sites], ['wards', s.wards], ['cameras', s.cameras]].filter(([, v]) => v && v.length)
      .map(([k, v]) => `${k}: ${v.join(', ')}`).join('; ');
  }

  async function drawUsers() {
    const res = await get('/api/v1/users');
    if (!alive) return;
    const users = res.users || [];
    const act = (label, fn, cls = '') => h('button', { class: `btn btn-small ${cls}`, type: 'button', onclick: fn }, label);
    const rows = users.map((u) => h('tr', { data: { user: u.username } },
      h('td', {}, h('strong', {}, u.username), h('br'), h('span', { class: 'muted' }, u.display_name || '')),
      h('td', {}, (u.roles || []).map((r) => h('span', { class: 'badge badge-role' }, r)), ''),
      h('td', {}, scopeText(u.scope)),
      h('td', {}, [
        u.disabled ? h('span', { class: 'badge badge-offline' }, 'disabled') : h('span', { class: 'badge badge-online' }, 'active'),
        u.locked_until && Date.parse(u.locked_until) > Date.now() ? h('span', { class: 'badge badge-warn', title: 'until ' + when(u.locked_until) }, 'locked') : null,
        u.must_change_password ? h('span', { class: 'badge' }, 'must change password') : null,
        u.totp_enabled ? h('span', { class: 'badge' }, '2FA') : null,
      ].filter(Boolean).flatMap((b) => [b, ' '])),
      h('td', {}, when(u.created), h('br'), h('span', { class: 'muted' }, 'by ' + (u.created_by || '—'))),
      h('td', {}, h('div', { class: 'toolbar row-actions' },
        act('Edit', () => editUser(u)),
        act('Reset password', () => resetPassword(u)),
        act('Sign out everywhere', () => signOutUser(u)),
        u.totp_enabled ? act('Reset 2FA', () => resetTOTP(u)) : null))));
    body.replaceChildren(
      h('div', { class: 'toolbar' }, h('span', { class: 'muted' }, `${users.length} users`), h('span', { class: 'spacer' }),
        h('button', { class: 'btn btn-primary', type: 'button', id: 'admin-new-user', onclick: newUser }, icon('plus'), 'New user')),
      h('div', { class: 'panel' }, h('table', { class: 'data', id: 'admin-users' },
        h('thead', {}, h('tr', {}, ['User', 'Roles', 'Scope', 'State', 'Created', ''].map((t) => h('th', {}, t)))),
        h('tbody', {}, rows))),
      isAdmin ? '' : h('p', { class: 'muted' }, 'As a supervisor you manage operators only; ask an administrator for other roles.'));
  }

  function newUser() {
    modal('New user', [
      h('div', { class: 'form-grid' },
        field('Username', h('input', { name: 'username', required: true, pattern: '[a-z0-9._\\-]{2,64}', autocomplete: 'off' }), 'lower-case letters, digits, . _ -'),
        field('Display name', h('input', { name: 'display_name', maxlength: '200' }))),
      h('p', {}, 'Roles'), roleChecks(isAdmin ? [] : ['operator']),
      ...scopeFields(),
    ], {
      submit: 'Create',
      onSubmit: async (f) => {
        const u = await api('POST', '/api/v1/users', { username: f.elements.username.value.trim(), display_name: f.elements.display_name.value.trim(),
          roles: readRoles(f), scope: readScope(f) });
        secretBox('User created', `Give ${u.username} this temporary password; they choose their own at first sign-in.`, u.temporary_password);
        show();
      },
    });
  }

  function editUser(u) {
    modal(`Edit ${u.username}`, [
      field('Display name', h('input', { name: 'display_name', value: u.display_name || '', maxlength: '200' })),
      h('p', {}, 'Roles'), roleChecks(u.roles || []),
      ...scopeFields(u.scope || {}),
      h('label', { class: 'field field-inline' }, h('input', { type: 'checkbox', name: 'disabled', checked: !!u.disabled }), h('span', {}, 'Disabled (cannot sign in)')),
      h('p', { class: 'muted' }, 'Changing roles, scope or disabling ends the user’s sessions.'),
    ], {
      onSubmit: async (f) => {
        await api('PATCH', `/api/v1/users/${encodeURIComponent(u.username)}`, { display_name: f.elements.display_name.value.trim(),
          roles: readRoles(f), scope: readScope(f), disabled: f.elements.disabled.checked });
        ctx.toast(`${u.username} updated`, 'ok');
        show();
      },
    });
  }

  function resetPassword(u) {
    modal(`Reset the password of ${u.username}?`, [h('p', {}, 'A new temporary password is made, the lockout cleared and their sessions ended. They must choose a new password at sign-in.')], {
      submit: 'Reset password', danger: true,
      onSubmit: async () => {
        const r = await api('POST', `/api/v1/users/${encodeURIComponent(u.username)}/password-reset`, {});
        secretBox('Password reset', `Give ${u.username} this temporary password.`, r.temporary_password);
        show();
      },
    });
  }

  function signOutUser(u) {
    modal(`Sign ${u.username} out everywhere?`, [h('p', {}, 'Every session of this user ends now, live views included.')], {
      submit: 'Sign out everywhere', danger: true,
      onSubmit: async () => {
        const r = await api('POST', `/api/v1/users/${encodeURIComponent(u.username)}/logout-everywhere`, {});
        ctx.toast(`${u.username}: ${r.sessions_ended} sessions ended`, 'ok');
      },
    });
  }

  function resetTOTP(u) {
    modal(`Remove the second factor of ${u.username}?`, [h('p', {}, 'For a lost phone: they sign in with the password alone and enrol again.')], {
      submit: 'Remove second factor', danger: true,
      onSubmit: async () => {
        await api('POST', `/api/v1/users/${encodeURIComponent(u.username)}/totp-reset`, {});
        ctx.toast(`${u.username}: second factor removed`, 'ok');
        show();
      },
    });
  }

  // ---- cameras ----
  async function drawCameras() {
    const res = await get('/api/v1/cameras');
    if (!alive) return;
    const cams = (res.cameras || []).slice().sort((a, b) => a.id.localeCompare(b.id));
    const act = (label, fn, cls = '', disabled = false) => h('button', { class: `btn btn-small ${cls}`, type: 'button', onclick: fn, disabled,
      title: disabled ? 'Declared in the config file: change it there' : null }, label);
    const rows = cams.map((c) => {
      const managed = c.managed_by && c.managed_by !== 'api';
      return h('tr', { data: { camera: c.id } },
        h('td', { class: 'mono' }, c.id),
        h('td', {}, c.name || ''),
        h('td', {}, [c.site, c.ward].filter(Boolean).join(' / ') || '—'),
        h('td', {}, c.kind || ''),
        h('td', {}, h('span', { class: `badge badge-${c.enabled ? c.status : 'disabled'}` }, c.enabled ? c.status : 'disabled')),
        h('td', { class: 'num' }, c.retention_days ? `${c.retention_days} d` : 'default'),
        h('td', {}, managed ? h('span', { class: 'muted', title: 'Declared in the config file: change it there' }, c.managed_by) : 'web'),
        h('td', {}, h('div', { class: 'toolbar row-actions' },
          h('button', { class: 'btn btn-small an-open', type: 'button', title: 'Motion zones, masks and sensitivity', onclick: () => openAnalytics(c) }, 'Analytics'),
          act('Edit', () => editCamera(c), '', managed),
          act(c.enabled ? 'Disable' : 'Enable', () => setEnabled(c, !c.enabled), '', managed),
          act('Delete', () => deleteCamera(c), 'btn-danger', managed))));
    });
    body.replaceChildren(
      h('div', { class: 'toolbar' }, h('span', { class: 'muted' }, `${cams.length} cameras`), h('span', { class: 'spacer' }),
        h('button', { class: 'btn btn-primary', type: 'button', id: 'admin-new-camera', onclick: () => editCamera(null) }, icon('plus'), 'Add camera')),
      h('div', { class: 'panel' }, h('table', { class: 'data', id: 'admin-cameras' },
        h('thead', {}, h('tr', {}, ['Id', 'Name', 'Site / ward', 'Kind', 'Status', 'Retention', 'Managed by', ''].map((t) => h('th', {}, t)))),
        h('tbody', {}, rows))));
    const want = ctx.params.get('analytics');
    if (want && !editor && !opened) {
      opened = true;
      const c = cams.find((x) => x.id === want);
      if (c) openAnalytics(c);
      else ctx.toast(`No camera ${want} in your list`, 'warn');
    }
  }
  let opened = false; // the address's analytics= was honoured once

  function editCamera(c) {
    const isNew = !c;
    c = c || { kind: 'fixed', enabled: true };
    const num = (v) => (v === null || v === undefined ? '' : String(v));
    modal(isNew ? 'Add camera' : `Edit ${c.id}`, [
      h('div', { class: 'form-grid' },
        field('Id', h('input', { name: 'id', value: c.id || '', required: true, disabled: !isNew, autocomplete: 'off' })),
        field('Name', h('input', { name: 'name', value: c.name || '', required: true })),
        field('Site', h('input', { name: 'site', value: c.site || '' })),
        field('Ward', h('input', { name: 'ward', value: c.ward || '' })),
        field('Kind', h('select', { name: 'kind' }, ['fixed', 'mobile'].map((k) => h('option', { value: k, selected: c.kind === k }, k)))),
        field('Retention (days)', h('input', { name: 'retention_days', type: 'number', min: '0', max: '3650', value: num(c.retention_days) }), '0 or empty: the default (31)'),
        field('Latitude', h('input', { name: 'latitude', type: 'number', step: 'any', value: num(c.latitude) })),
        field('Longitude', h('input', { name: 'longitude', type: 'number', step: 'any', value: num(c.longitude) }))),
      field('Main stream URL', h('input', { name: 'main_url', value: c.main_url || '', required: true, placeholder: 'rtsp://…' })),
      field('Sub stream URL', h('input', { name: 'sub_url', value: c.sub_url || '', placeholder: 'rtsp://… (optional)' })),
      h('div', { class: 'form-grid' },
        field('Camera username', h('input', { name: 'username', autocomplete: 'off' }), c.has_credentials ? 'set; leave empty to keep' : ''),
        field('Camera password', h('input', { name: 'password', type: 'password', autocomplete: 'new-password' }), c.has_credentials ? 'set; leave empty to keep' : '')),
      h('label', { class: 'field field-inline' }, h('input', { type: 'checkbox', name: 'enabled', checked: c.enabled !== false }), h('span', {}, 'Enabled')),
    ], {
      submit: isNew ? 'Add camera' : 'Save',
      onSubmit: async (f) => {
        const body = { name: f.elements.name.value.trim(), site: f.elements.site.value.trim(), ward: f.elements.ward.value.trim(), kind: f.elements.kind.value,
          main_url: f.elements.main_url.value.trim(), sub_url: f.elements.sub_url.value.trim(), enabled: f.elements.enabled.checked,
          retention_days: parseInt(f.elements.retention_days.value || '0', 10) || 0 };
        for (const k of ['latitude', 'longitude']) if (f.elements[k].value !== '') body[k] = parseFloat(f.elements[k].value);
        if (f.elements.username.value) body.username = f.elements.username.value;
        if (f.elements.password.value) body.password = f.elements.password.value;
        if (isNew) {
          body.id = f.elements.id.value.trim();
          await api('POST', '/api/v1/cameras', body);
        } else {
          await api('PATCH', `/api/v1/cameras/${encodeURIComponent(c.id)}`, body);
        }
        ctx.toast(isNew ? `Camera ${body.id} added` : `Camera ${c.id} saved`, 'ok');
        show();
      },
    });
  }

  async function setEnabled(c, enabled) {
    try {
      await api('PATCH', `/api/v1/cameras/${encodeURIComponent(c.id)}`, { enabled });
      ctx.toast(`Camera ${c.id} ${enabled ? 'enabled' : 'disabled'}`, 'ok');
      show();
    } catch (e) {
      ctx.toast(errorText(e), 'error');
    }
  }

  function deleteCamera(c) {
    modal(`Delete camera ${c.id}?`, [h('p', {}, 'The camera stops recording and leaves every wall. Its recordings stay until retention removes them.')], {
      submit: 'Delete camera', danger: true,
      onSubmit: async () => {
        await api('DELETE', `/api/v1/cameras/${encodeURIComponent(c.id)}`);
        ctx.toast(`Camera ${c.id} deleted`, 'ok');
        show();
      },
    });
  }

  // ---- tokens ----
  async function drawTokens() {
    const res = await get('/api/v1/tokens');
    if (!alive) return;
    const tokens = res.tokens || [];
    const rows = tokens.map((t) => h('tr', { data: { token: String(t.id) } },
      h('td', {}, h('strong', {}, t.name)),
      h('td', {}, (t.scopes || []).map((s) => h('span', { class: 'badge' }, s)), ''),
      h('td', {}, when(t.created), h('br'), h('span', { class: 'muted' }, 'by ' + (t.created_by || '—'))),
      h('td', {}, when(t.expires)),
      h('td', {}, when(t.last_used)),
      h('td', {}, t.revoked ? h('span', { class: 'badge badge-offline' }, 'revoked ' + when(t.revoked))
        : h('button', { class: 'btn btn-small btn-danger', type: 'button', onclick: () => revoke(t) }, 'Revoke'))));
    body.replaceChildren(
      h('div', { class: 'toolbar' }, h('span', { class: 'muted' }, 'Tokens let machines (Prometheus, reporting) read health, metrics and the audit. They never see footage.'),
        h('span', { class: 'spacer' }),
        h('button', { class: 'btn btn-primary', type: 'button', id: 'admin-new-token', onclick: newToken }, icon('key'), 'New token')),
      h('div', { class: 'panel' }, h('table', { class: 'data', id: 'admin-tokens' },
        h('thead', {}, h('tr', {}, ['Name', 'Scopes', 'Created', 'Expires', 'Last used', ''].map((x) => h('th', {}, x)))),
        h('tbody', {}, rows))));
  }

  function newToken() {
    modal('New API token', [
      field('Name', h('input', { name: 'name', required: true, maxlength: '100', placeholder: 'e.g. prometheus' })),
      h('p', {}, 'Scopes'),
      h('div', { class: 'role-checks' }, TOKEN_SCOPES.map((s) => h('label', {}, h('input', { type: 'checkbox', name: 'scope', value: s, checked: s === 'metrics.read' }), s))),
      field('Expires in (days)', h('input', { name: 'days', type: 'number', min: '1', max: '366', value: '90', required: true })),
    ], {
      submit: 'Create token',
      onSubmit: async (f) => {
        const t = await api('POST', '/api/v1/tokens', { name: f.elements.name.value.trim(),
          scopes: [...f.querySelectorAll('input[name=scope]:checked')].map((i) => i.value), expires_in_days: parseInt(f.elements.days.value, 10) });
        secretBox('Token created', `The secret of “${t.name}”, shown this once: send it as Authorization: Bearer …`, t.token);
        show();
      },
    });
  }

  function revoke(t) {
    modal(`Revoke the token “${t.name}”?`, [h('p', {}, 'Whatever uses it stops working at once.')], {
      submit: 'Revoke', danger: true,
      onSubmit: async () => {
        await api('DELETE', `/api/v1/tokens/${t.id}`);
        ctx.toast(`Token ${t.name} revoked`, 'ok');
        show();
      },
    });
  }

  drawTabs();
  show();
  return () => {
    alive = false;
    abort.abort();
    closeEditor();
    for (const m of document.querySelectorAll('.modal')) if (!m.id) m.remove();
  };
}
