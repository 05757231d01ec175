// app.js: the shell. Loads the session, draws the top bar (pages the user
// may open, their name and roles, sign out), routes #/page?query to
// pages/<page>.js, shows toasts and forces a password change when the
// server says so.
//
// A page module: export function mount(root, ctx) → unmount function.
// ctx = { me, api, navigate(hash), toast(msg, kind), can(perm), params,
//         route, signedIn(session) }.
import { api, csrf, setCSRF, APIError, errorText, h } from './api.js';
import { icon } from './icons.js';

// A copy of ui/auth/roles.go's matrix, used when the session answer does
// not carry "permissions" itself.
const MATRIX = {
  operator: ['cameras.read', 'health.read', 'footage.view', 'bookmarks.write', 'bookmarks.read', 'alerts.ack', 'evidence.read', 'anpr.search',
    'deployments.read', 'cameras.ptz'],
  supervisor: ['cameras.read', 'health.read', 'footage.view', 'bookmarks.write', 'bookmarks.read', 'alerts.ack', 'evidence.read',
    'holds.read', 'holds.manage', 'exports.approve', 'audit.read', 'users.manage', 'alerts.rules', 'anpr.search', 'anpr.watchlist',
    'deployments.read', 'deployments.approve', 'cameras.ptz', 'cameras.ptz_override'],
  police: ['footage.granted', 'exports.request', 'evidence.read', 'bookmarks.read'],
  bjag: ['cameras.read', 'hotspots.read', 'deployments.read', 'deployments.write'],
  engineer: ['cameras.read', 'cameras.manage', 'health.read', 'metrics.read', 'deployments.read', 'deployments.install'],
  admin: ['cameras.read', 'cameras.manage', 'health.read', 'users.manage', 'tokens.manage', 'keys.manage',
    'audit.read', 'metrics.read', 'evidence.read'],
};

const ROLE_NAMES = {
  operator: 'Operator', supervisor: 'Supervisor', police: 'Police', bjag: 'BJAG', engineer: 'Engineer', admin: 'Administrator',
};

// Pages in nav order; "any" lists the permissions any one of which opens it.
const PAGES = [
  { name: 'wall', title: 'Wall', icon: 'wall', any: ['footage.view'] },
  { name: 'playback', title: 'Playback', icon: 'play', any: ['footage.view', 'footage.granted'] },
  { name: 'anpr', title: 'Plates', icon: 'plate', any: ['anpr.search'] },
  { name: 'bookmarks', title: 'Incidents', icon: 'bookmark', any: ['bookmarks.write', 'bookmarks.read'] },
  { name: 'evidence', title: 'Evidence', icon: 'evidence', any: ['exports.request', 'exports.approve', 'holds.read', 'holds.manage'] },
  { name: 'hotspots', title: 'Hotspots', icon: 'map', any: ['hotspots.read', 'health.read'] },
  { name: 'deployments', title: 'Deployments', icon: 'camera', any: ['deployments.read'] },
  { name: 'health', title: 'Health', icon: 'health', any: ['health.read'] },
  { name: 'admin', title: 'Admin', icon: 'admin', any: ['users.manage', 'cameras.manage', 'tokens.manage'] },
];

const state = {
  me: null,
  perms: new Set(),
  unmount: null,
  seq: 0, // bumps on every route change: a slow import for an old route is dropped
  current: '',
};

const $ = (id) => document.getElementById(id);

export function permissionsFor(me) {
  if (!me) return new Set();
  if (Array.isArray(me.permissions)) return new Set(me.permissions);
  const out = new Set();
  for (const r of me.roles || []) for (const p of MATRIX[r] || []) out.add(p);
  return out;
}

function can(p) { return state.perms.has(p); }

function allowed(page) { return page.any.some(can); }

function landing() {
  const p = PAGES.find(allowed);
  return p ? '#/' + p.name : '#/nothing';
}

function navigate(hash) {
  if (!hash.startsWith('#')) hash = '#' + hash;
  if (location.hash === hash) route();
  else location.hash = hash;
}

// ---- toasts ----
export function toast(message, kind = 'info', ms) {
  const box = $('toasts');
  const t = h('div', { class: `toast toast-${kind}`, role: kind === 'error' ? 'alert' : 'status' },
    h('span', {}, message),
    h('button', { class: 'toast-close', 'aria-label': 'Dismiss', onclick: () => t.remove() }, icon('close')));
  box.append(t);
  while (box.children.length > 5) box.firstChild.remove();
  setTimeout(() => t.remove(), ms || (kind === 'error' ? 9000 : 4000));
}

// ---- top bar ----
function drawBar() {
  const nav = $('nav');
  const who = $('who');
  nav.replaceChildren();
  who.replaceChildren();
  const me = state.me;
  document.body.classList.toggle('signed-out', !me);
  if (!me) return;
  for (const p of PAGES) {
    if (!allowed(p)) continue;
    // The label is hidden on narrower screens (icons only): the title and
    // the accessible name still say the page.
    nav.append(h('a', { href: '#/' + p.name, class: 'nav-link', title: p.title, 'aria-label': p.title, data: { page: p.name } }, icon(p.icon), h('span', {}, p.title)));
  }
  markNav();
  const roles = (me.roles || []).map((r) => h('span', { class: 'badge badge-role', data: { role: r } }, ROLE_NAMES[r] || r));
  who.append(
    icon('user'),
    h('span', { class: 'who-name', id: 'who-name', title: me.username }, me.display_name || me.username),
    h('span', { class: 'who-roles', id: 'who-roles' }, roles),
    h('button', { class: 'btn btn-ghost', id: 'logout', type: 'button', onclick: logout, title: 'Sign out' }, icon('logout'), h('span', {}, 'Sign out')),
  );
}

function markNav() {
  for (const a of document.querySelectorAll('#nav .nav-link')) {
    if (a.dataset.page === state.current) a.setAttribute('aria-current', 'page');
    else a.removeAttribute('aria-current');
  }
}

const londonClock = new Intl.DateTimeFormat('en-GB', {
  timeZone: 'Europe/London', weekday: 'short', day: 'numeric', month: 'short', hour: '2-digit', minute: '2-digit', second: '2-digit',
  hour12: false, timeZoneName: 'short',
});

function tickClock() {
  const c = $('clock');
  if (c) c.textContent = londonClock.format(new Date());
}

// ---- session ----
function signedIn(me) {
  state.me = me;
  state.perms = permissionsFor(me);
  setCSRF(me ? me.csrf_token : '');
  drawBar();
  if (me && me.must_change_password) forcePasswordChange();
}

async function logout() {
  await stopPage();
  try {
    await api('DELETE', '/api/v1/session');
  } catch (e) {
    if (!(e instanceof APIError && e.status === 401)) toast('Sign out failed: ' + errorText(e), 'error');
  }
  signedIn(null);
  navigate('#/login');
  toast('Signed out', 'info');
}

let pwDialog = null;

function forcePasswordChange() {
  if (pwDialog) return;
  const err = h('p', { class: 'form-error', role: 'alert', id: 'pw-error' });
  const cur = h('input', { type: 'password', id: 'pw-current', autocomplete: 'current-password', required: true });
  const nw = h('input', { type: 'password', id: 'pw-new', autocomplete: 'new-password', required: true, minlength: '12' });
  const again = h('input', { type: 'password', id: 'pw-again', autocomplete: 'new-password', required: true });
  const submit = h('button', { class: 'btn btn-primary', type: 'submit', id: 'pw-submit' }, 'Change password');
  const form = h('form', { class: 'modal-body', id: 'pw-form' },
    h('h2', {}, 'Choose a new password'),
    h('p', { class: 'muted' }, 'Your password was set by someone else or has to be renewed. Choose your own before going on: at least 12 characters, not your username.'),
    h('label', { class: 'field' }, h('span', {}, 'Current password'), cur),
    h('label', { class: 'field' }, h('span', {}, 'New password'), nw),
    h('label', { class: 'field' }, h('span', {}, 'New password again'), again),
    err,
    h('div', { class: 'toolbar' }, submit,
      h('button', { class: 'btn', type: 'button', onclick: logout }, 'Sign out instead')));
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    err.textContent = '';
    if (nw.value !== again.value) {
      err.textContent = 'The two new passwords differ.';
      again.focus();
      return;
    }
    submit.disabled = true;
    try {
      const me = await api('POST', '/api/v1/session/password', { current_password: cur.value, new_password: nw.value });
      pwDialog.remove();
      pwDialog = null;
      signedIn(me);
      toast('Password changed', 'ok');
      route();
    } catch (e) {
      err.textContent = errorText(e);
    } finally {
      submit.disabled = false;
    }
  });
  pwDialog = h('div', { class: 'modal', role: 'dialog', 'aria-modal': 'true', 'aria-labelledby': 'pw-title', id: 'pw-dialog' },
    h('div', { class: 'modal-box' }, form));
  form.querySelector('h2').id = 'pw-title';
  document.body.append(pwDialog);
  cur.focus();
}

// ---- router ----
function parseHash() {
  const raw = location.hash.replace(/^#\/?/, '');
  const q = raw.indexOf('?');
  const name = (q < 0 ? raw : raw.slice(0, q)) || '';
  const params = new URLSearchParams(q < 0 ? '' : raw.slice(q + 1));
  return { name: name.replace(/\/+$/, ''), params };
}

async function stopPage() {
  const u = state.unmount;
  state.unmount = null;
  if (typeof u === 'function') {
    try { await u(); } catch (e) { console.error('unmount', e); }
  }
}

async function route() {
  const seq = ++state.seq;
  const { name, params } = parseHash();
  if (name !== 'login' && !state.me) {
    // not signed in (yet): the boot sequence or a 401 brought us here
    const back = location.hash && location.hash !== '#/' ? '?next=' + encodeURIComponent(location.hash) : '';
    location.replace('#/login' + back);
    return;
  }
  if (name === '' || (name === 'login' && state.me)) {
    location.replace(name === 'login' && params.get('next') ? params.get('next') : landing());
    return;
  }
  await stopPage();
  if (seq !== state.seq) return;
  if (name !== 'login' && state.me.must_change_password) {
    // every other route answers 403 until then: the dialog is the page
    $('page').replaceChildren();
    forcePasswordChange();
    return;
  }
  state.current = name;
  markNav();
  const root = $('page');
  root.replaceChildren();
  root.className = 'page page-' + name;
  const page = PAGES.find((p) => p.name === name);
  if (name !== 'login' && !page) {
    root.append(h('div', { class: 'panel empty' }, h('h2', {}, name === 'nothing' ? 'Nothing to show' : 'No such page'),
      h('p', {}, name === 'nothing' ? 'Your roles give you no pages in this web app. Ask a supervisor or administrator.' : 'Pick a page from the bar above.')));
    return;
  }
  if (page && !allowed(page)) {
    root.append(h('div', { class: 'panel empty' }, h('h2', {}, 'Not for your role'),
      h('p', {}, `The ${page.title} page needs a role you do not have.`)));
    return;
  }
  document.title = (page ? page.title : 'Sign in') + ' · Vigil';
  let mod;
  try {
    mod = await import(`./pages/${name}.js`);
  } catch (e) {
    console.error(e);
    if (seq === state.seq) root.append(h('div', { class: 'panel empty' }, h('h2', {}, 'This page is not available'), h('p', {}, String(e.message || e))));
    return;
  }
  if (seq !== state.seq) return;
  const ctx = { me: state.me, api, navigate, toast, can, params, route: name, signedIn, csrf };
  try {
    state.unmount = mod.mount(root, ctx) || null;
  } catch (e) {
    console.error(e);
    root.append(h('div', { class: 'panel empty' }, h('h2', {}, 'This page failed'), h('p', {}, String(e.message || e))));
  }
  if (name !== 'login') root.focus({ preventScroll: true });
}

async function boot() {
  tickClock();
  setInterval(tickClock, 1000);
  try {
    const me = await api('GET', '/api/v1/session');
    signedIn(me);
  } catch (e) {
    signedIn(null);
    if (!(e instanceof APIError && e.status === 401)) toast('Cannot load your session: ' + errorText(e), 'error');
  }
  window.addEventListener('vigil:signedout', () => {
    if (state.me) signedIn(null);
    if (!location.hash.startsWith('#/login')) location.hash = '#/login';
  });
  window.addEventListener('hashchange', route);
  route();
}

boot();
