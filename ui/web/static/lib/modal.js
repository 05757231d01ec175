// A modal dialog holding a form, for every page that asks before it acts.
import { errorText, h } from '../api.js';

// modal opens a dialog: the title, the fields, an error line, and the
// submit and Cancel buttons. onSubmit(form, err) may throw to show the
// error in the dialog, or return false to keep it open; Escape and Cancel
// close it and the focus goes back where it was. Options: id names the
// dialog (formID and errorID its form and error line, for pages and
// tests); novalidate leaves every value to the server, which names the
// field at fault; formClass adds a class to the form. It returns close.
export function modal(title, fields, { submit = 'Save', danger = false, cancel = true, onSubmit, id, formID, errorID, novalidate = false, formClass = '' } = {}) {
  const err = h('p', { class: 'form-error', role: 'alert', id: errorID });
  const ok = h('button', { class: `btn ${danger ? 'btn-danger' : 'btn-primary'}`, type: 'submit', data: { role: 'submit' } }, submit);
  const titleID = id ? id + '-title' : undefined;
  const form = h('form', { class: `modal-body ${formClass}`.trim(), id: formID, novalidate }, h('h2', { id: titleID }, title), fields, err,
    h('div', { class: 'toolbar' }, ok, cancel ? h('button', { class: 'btn', type: 'button', data: { role: 'cancel' }, onclick: () => close() }, 'Cancel') : ''));
  const box = h('div', { class: 'modal', id, role: 'dialog', 'aria-modal': 'true', 'aria-labelledby': titleID, 'aria-label': titleID ? undefined : title },
    h('div', { class: 'modal-box' }, form));
  const before = document.activeElement;
  let closed = false;
  function close() {
    if (closed) return;
    closed = true;
    box.remove();
    document.removeEventListener('keydown', esc, true);
    if (before && before.focus && document.contains(before)) before.focus();
  }
  function esc(ev) { if (ev.key === 'Escape') { ev.stopPropagation(); close(); } }
  document.addEventListener('keydown', esc, true);
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    err.textContent = '';
    ok.disabled = true;
    try {
      if ((await onSubmit(form, err)) !== false) close();
    } catch (e) {
      err.textContent = errorText(e);
    } finally {
      ok.disabled = false;
    }
  });
  document.body.append(box);
  const first = form.querySelector('input:not([type=hidden]):not([disabled]), select:not([disabled]), textarea:not([disabled]), button');
  if (first) first.focus();
  return close;
}
