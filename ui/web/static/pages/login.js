// Sign in: username and password, then the authenticator code when the
// account has a second factor (the server answers 401 {totp_required}).
import { api, APIError, errorText, h } from '../api.js';
import { londonTime } from '../lib/time.js';

export function mount(root, ctx) {
  let timer = null;
  const user = h('input', { id: 'login-username', name: 'username', autocomplete: 'username', required: true, autocapitalize: 'none', spellcheck: 'false' });
  const pass = h('input', { id: 'login-password', name: 'password', type: 'password', autocomplete: 'current-password', required: true });
  const code = h('input', { id: 'login-totp', name: 'totp', inputmode: 'numeric', autocomplete: 'one-time-code', pattern: '[0-9 ]{6,8}', maxlength: '8' });
  const codeField = h('label', { class: 'field', hidden: true, id: 'login-totp-field' }, h('span', {}, 'Code from your authenticator app'), code,
    h('small', { class: 'muted' }, 'Your account has a second factor: enter the 6-digit code your app shows now.'));
  const err = h('p', { class: 'form-error', role: 'alert', id: 'login-error' });
  const submit = h('button', { class: 'btn btn-primary', type: 'submit', id: 'login-submit' }, 'Sign in');
  const form = h('form', { class: 'panel', id: 'login-form', novalidate: true },
    h('label', { class: 'field' }, h('span', {}, 'Username'), user),
    h('label', { class: 'field' }, h('span', {}, 'Password'), pass),
    codeField, err, submit);
  root.append(h('div', { class: 'login' }, h('h1', {}, 'Vigil'),
    h('p', { class: 'muted' }, 'CCTV control room. Every view of footage is logged with your name.'), form));

  // lockFor holds the button while the account is locked, counting down.
  function lockFor(seconds) {
    clearInterval(timer);
    const until = new Date(Date.now() + Math.max(1, seconds | 0) * 1000);
    submit.disabled = true;
    const draw = () => {
      const left = Math.ceil((until - Date.now()) / 1000);
      if (left <= 0) {
        clearInterval(timer);
        timer = null;
        submit.disabled = false;
        err.textContent = 'The lock has ended: you can try again now.';
        return;
      }
      err.textContent = `This account is locked after repeated failed sign-ins. Try again in ${left} s (at ${londonTime(until)}), or ask a supervisor to reset your password.`;
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
        const first = codeField.hidden;
        codeField.hidden = false;
        // the first time it is a question, not a mistake
        err.textContent = first ? '' : e.message;
        code.focus();
      } else if (e instanceof APIError && e.status === 429) {
        const ra = parseInt((e.headers && e.headers.get('Retry-After')) || '60', 10);
        lockFor(ra);
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
