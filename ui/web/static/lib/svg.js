// svg.js: build SVG elements like api.js's h() builds HTML ones:
// s('circle', {cx: 1, cy: 2, r: 3, class: 'dot'}, s('title', {}, 'text')).
// Presentation attributes (fill, stroke) are attributes, not style="", so
// the strict CSP allows them.
const NS = 'http://www.w3.org/2000/svg';

export function s(tag, attrs, ...children) {
  const el = document.createElementNS(NS, tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === undefined || v === null || v === false) continue;
    if (k.startsWith('on') && typeof v === 'function') el.addEventListener(k.slice(2), v);
    else if (k === 'data') for (const [dk, dv] of Object.entries(v)) el.dataset[dk] = dv;
    else el.setAttribute(k, v === true ? '' : String(v));
  }
  const add = (c) => {
    if (c === null || c === undefined || c === false) return;
    if (Array.isArray(c)) c.forEach(add);
    else el.append(c instanceof Node ? c : document.createTextNode(String(c)));
  };
  children.forEach(add);
  return el;
}

// points formats [[x, y], ...] for a polygon's points attribute.
export function points(list, w = 1, h = 1) {
  return list.map(([x, y]) => `${(x * w).toFixed(2)},${(y * h).toFixed(2)}`).join(' ');
}
