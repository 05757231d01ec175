// Sign in: username and password, then the authenticator code when the
// account has a second factor (the server answers 401 {totp_required}).
import { api, APIError, errorText, h } from '../api.js';

export function mount(root, ctx) {
  let timer = null;
  const user = h('input', { id: 'login-username', name: 'username', autocomplete: 'username', required: true, autocapitalize: 'none', spellcheck: 'false' });
  const pass = h('input', { id: 'login-password', name: 'password', type: 'password', autocomplete: 'current-password', required: true });
  const code = h('input', { id: 'login-totp', name: 'totp', inputmode: 'numeric', autocomplete: 'one-time-code', pattern: '[0-9 ]{6,8}', maxlength: '8' });
  const codeField = h('label', { class: 'field', hidden: true, id: 'login-totp-field' }, h('span', {}, 'Code from your authenticator app'), code);
  const err = h('p', { class: 'form-error', role: 'alert', id: 'login-error' });
  const submit = h('button', { class: 'btn btn-primary', type: 'submit', id: 'login-submit' }, 'Sign in');
  const form = h('form', { class: 'panel', id: 'login-form', novalidate: true },
    h('label', { class: 'field' }, h('span', {}, 'Username'), user),
    h('label', { class: 'field' }, h('span', {}, 'Password'), pass),
    codeField, err, submit);
  root.append(h('div', { class: 'login' }, h('h1', {}, 'Vigil'),
    h('p', { class: 'muted' }, 'CCTV control room. Every view of footage is logged with your name.'), form));

  function lockFor(seconds, message) {
    clearInterval(timer);
    let left = Math.max(1, seconds | 0);
    submit.disabled = true;
    const draw = () => {
      err.textContent = `${message} (${left} s)`;
      if (--left < 0) {
        clearInterval(timer);
        timer = null;
        submit.disabled = false;
        err.textContent = message.replace(/; try again.*$/, '') + '. You can try again now.';
      }
    };
    draw();
    timer = setInterval(draw, 1000);
  }

  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    err.textContent = '';
    if (!user.value.trim() || !pass.value) {
      err.textContent = 'Enter your username and password.';
      (user.value.trim() ? pass : user).focus();
      return;
    }
    submit.disabled = true;
    submit.textContent = 'Signing in…';
    try {
      const body = { username: user.value.trim(), password: pass.value };
      if (!codeField.hidden && code.value.trim()) body.totp = code.value.replace(/\s+/g, '');
      const me = await api('POST', '/api/v1/session', body);
      ctx.signedIn(me);
      const next = ctx.params.get('next');
      ctx.navigate(next && next.startsWith('#/') && !next.startsWith('#/login') ? next : '#/');
      return;
    } catch (e) {
      if (e instanceof APIError && e.status === 401 && e.body && e.body.totp_required) {
        codeField.hidden = false;
        err.textContent = e.message;
        code.focus();
      } else if (e instanceof APIError && e.status === 429) {
        const ra = parseInt((e.headers && e.headers.get('Retry-After')) || '60', 10);
        lockFor(ra, e.message);
        return;
      } else {
        err.textContent = errorText(e);
        if (!codeField.hidden) { code.value = ''; code.focus(); } else { pass.select(); pass.focus(); }
      }
    } finally {
      if (!timer) submit.disabled = false;
      submit.textContent = 'Sign in';
    }
  });
  user.focus();
  return () => clearInterval(timer);
}
