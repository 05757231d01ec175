// api.js: the one way pages talk to the Vigil API.
//
// api(method, path, body) sends JSON (or nothing), adds the CSRF token on
// every state-changing request, and answers the parsed JSON, or null for
// 204. A failure throws APIError {status, message, body, headers}. A 401
// (the sign-in ended) sends the browser to #/login, except for the
// sign-in request itself, whose 401 the login page reads.
//
// Note for page authors: the CSP is strict (style-src 'self'), so inline
// style="" attributes in HTML strings are blocked. Set el.style.x from
// script (allowed) or use classes.

let token = '';

/** csrf returns the current session's CSRF token (for raw fetch, e.g. WHEP). */
export function csrf() { return token; }

/** setCSRF is called by the shell when a session starts or changes. */
export function setCSRF(t) { token = t || ''; }

export class APIError extends Error {
  constructor(status, message, body, headers) {
    super(message);
    this.name = 'APIError';
    this.status = status;
    this.body = body || null;
    this.headers = headers || null;
  }
}

const SESSION = '/api/v1/session';

/**
 * api sends a request; opts.signal aborts it, opts.headers adds headers.
 * @returns {Promise<any>} parsed JSON, or null (204 or empty body)
 */
export async function api(method, path, body, opts = {}) {
  method = (method || 'GET').toUpperCase();
  const headers = { Accept: 'application/json', ...(opts.headers || {}) };
  const init = { method, headers, credentials: 'same-origin', signal: opts.signal, cache: 'no-store' };
  if (body !== undefined && body !== null) {
    headers['Content-Type'] = 'application/json';
    init.body = JSON.stringify(body);
  }
  if (method !== 'GET' && method !== 'HEAD' && token) headers['X-CSRF-Token'] = token;
  let res;
  try {
    res = await fetch(path, init);
  } catch (e) {
    if (e.name === 'AbortError') throw e;
    throw new APIError(0, 'Vigil cannot be reached; check the network', null, null);
  }
  const text = res.status === 204 ? '' : await res.text();
  let data = null;
  if (text) {
    try { data = JSON.parse(text); } catch { data = null; }
  }
  if (!res.ok) {
    const msg = (data && data.error) || `${res.status} ${res.statusText || 'error'}`;
    const err = new APIError(res.status, msg, data, res.headers);
    if (res.status === 401 && !(path === SESSION && method === 'POST')) {
      token = '';
      window.dispatchEvent(new CustomEvent('vigil:signedout'));
      if (!location.hash.startsWith('#/login')) {
        const back = location.hash && location.hash !== '#/' ? '?next=' + encodeURIComponent(location.hash) : '';
        location.hash = '#/login' + back;
      }
    }
    throw err;
  }
  return data;
}

/** errorText gives a person-readable sentence for a failure. */
export function errorText(e) {
  if (!e) return 'something went wrong';
  if (e instanceof APIError) {
    let m = e.message;
    if (e.body && Array.isArray(e.body.fields) && e.body.fields.length) {
      m += ': ' + e.body.fields.map((f) => `${f.field} ${f.message}`).join('; ');
    }
    return m;
  }
  return e.message || String(e);
}

/**
 * h builds a DOM element: h('button', {class: 'btn', onclick: fn}, 'Text').
 * Attributes starting with "on" become listeners; dataset via {data: {...}};
 * children may be strings, nodes, arrays, null/false (skipped).
 */
export function h(tag, attrs, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === undefined || v === null || v === false) continue;
    if (k.startsWith('on') && typeof v === 'function') el.addEventListener(k.slice(2), v);
    else if (k === 'class') el.className = v;
    else if (k === 'data') Object.assign(el.dataset, v);
    else if (k === 'html') el.innerHTML = v;
    else if (k in el && typeof v !== 'string') el[k] = v;
    else el.setAttribute(k, v === true ? '' : v);
  }
  const add = (c) => {
    if (c === null || c === undefined || c === false) return;
    if (Array.isArray(c)) c.forEach(add);
    else el.append(c instanceof Node ? c : document.createTextNode(String(c)));
  };
  children.forEach(add);
  return el;
}

/** loadCSS adds a page's stylesheet once (CSP allows 'self' links). */
export function loadCSS(href) {
  if (document.querySelector(`link[rel="stylesheet"][href="${href}"]`)) return;
  document.head.append(h('link', { rel: 'stylesheet', href }));
}
