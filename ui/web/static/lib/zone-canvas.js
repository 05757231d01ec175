// zone-canvas.js: the drawing surface of the analytics editor. A
// frame-shaped box (the camera's aspect ratio) with the camera's picture
// behind it, or a 10% grid when there is none, and an SVG on top where
// polygons are drawn by clicking points. Points are fractions of the frame
// (0-1, top-left origin), as the API stores them.
//
//   const zc = new ZoneCanvas(root, { onPoint(p), onClose(), onSelect(i) });
//   zc.setAspect(16 / 9); zc.setPicture(url | null, why);
//   zc.draw(shapes, draft, { selected, invalid, minArea });
//   shapes: [{type: 'zone'|'exclusion'|'privacy', name, points: [[x, y], ...]}]
//
// Hooks for tests: #an-canvas svg.an-svg, .an-shape[data-type][data-index],
// .an-draft, .an-grid, img.an-picture, #an-picture-note.
import { h } from '../api.js';
import { s } from './svg.js';

const W = 1000;
const CLOSE_PX = 14; // a click this near the first point closes the polygon

export class ZoneCanvas {
  constructor(root, { onPoint, onClose, onSelect } = {}) {
    this.root = root;
    this.onPoint = onPoint || (() => {});
    this.onClose = onClose || (() => {});
    this.onSelect = onSelect || (() => {});
    this.aspect = 16 / 9;
    this.img = h('img', { class: 'an-picture', alt: 'The camera’s picture', hidden: true });
    this.svg = s('svg', { class: 'an-svg', role: 'application', 'aria-label': 'Frame: click to add points to the polygon being drawn' });
    this.box = h('div', { class: 'an-frame' }, this.img, this.svg);
    this.note = h('p', { class: 'muted an-picture-note', id: 'an-picture-note' });
    root.classList.add('an-canvas');
    root.id = 'an-canvas';
    root.replaceChildren(this.box, this.note);
    this.hasPicture = false;
    this.last = { shapes: [], draft: null, opts: {} };
    this.svg.addEventListener('click', (ev) => this.click(ev));
    this.setAspect(this.aspect);
  }

  get height() { return W / this.aspect; }

  setAspect(a) {
    this.aspect = a > 0.2 && a < 5 ? a : 16 / 9;
    this.svg.setAttribute('viewBox', `0 0 ${W} ${this.height.toFixed(2)}`);
    this.box.style.aspectRatio = `${this.aspect}`;
    this.redraw();
  }

  // setPicture shows a picture behind the polygons, or (url null) the grid
  // with a sentence saying why there is no picture.
  setPicture(url, why) {
    this.hasPicture = !!url;
    this.img.hidden = !url;
    if (url) {
      this.img.src = url;
      this.img.addEventListener('load', () => {
        if (this.img.naturalWidth && this.img.naturalHeight) this.setAspect(this.img.naturalWidth / this.img.naturalHeight);
      }, { once: true });
    } else {
      this.img.removeAttribute('src');
    }
    this.note.textContent = why || '';
    this.root.dataset.picture = url ? 'snapshot' : 'grid';
    this.redraw();
  }

  // fraction turns a click into a frame point.
  fraction(ev) {
    const r = this.svg.getBoundingClientRect();
    const x = Math.min(1, Math.max(0, (ev.clientX - r.left) / r.width));
    const y = Math.min(1, Math.max(0, (ev.clientY - r.top) / r.height));
    return [Math.round(x * 10000) / 10000, Math.round(y * 10000) / 10000];
  }

  click(ev) {
    const shape = ev.target.closest && ev.target.closest('.an-shape');
    const { draft } = this.last;
    if (!draft && shape) { this.onSelect(Number(shape.dataset.index)); return; }
    if (!draft) return;
    const p = this.fraction(ev);
    if (draft.points.length >= 3) {
      const r = this.svg.getBoundingClientRect();
      const [fx, fy] = draft.points[0];
      const dx = (fx - p[0]) * r.width, dy = (fy - p[1]) * r.height;
      if (Math.hypot(dx, dy) <= CLOSE_PX) { this.onClose(); return; }
    }
    this.onPoint(p);
  }

  redraw() { this.draw(this.last.shapes, this.last.draft, this.last.opts); }

  draw(shapes, draft, opts = {}) {
    this.last = { shapes, draft, opts };
    const H = this.height;
    const pts = (list) => list.map(([x, y]) => `${(x * W).toFixed(1)},${(y * H).toFixed(1)}`).join(' ');
    const parts = [];
    if (!this.hasPicture) {
      const grid = s('g', { class: 'an-grid' });
      for (let i = 1; i < 10; i++) {
        grid.append(s('line', { x1: (i * W) / 10, y1: 0, x2: (i * W) / 10, y2: H }), s('line', { x1: 0, y1: (i * H) / 10, x2: W, y2: (i * H) / 10 }));
      }
      grid.append(s('text', { x: W / 2, y: H / 2, 'text-anchor': 'middle', class: 'an-grid-text' }, 'frame (no picture)'));
      parts.push(grid);
    }
    if (opts.minArea > 0) {
      // The smallest blob that counts, as a square in the corner.
      const side = Math.sqrt(opts.minArea);
      parts.push(s('rect', { class: 'an-minarea', x: 8, y: 8, width: (side * W).toFixed(1), height: (side * H).toFixed(1) },
        s('title', {}, 'Smallest moving area that counts')));
    }
    shapes.forEach((sh, i) => {
      const cls = `an-shape an-${sh.type}${opts.selected === i ? ' selected' : ''}${(opts.invalid || []).includes(i) ? ' invalid' : ''}`;
      const g = s('g', { class: cls, data: { type: sh.type, index: String(i) } },
        s('polygon', { points: pts(sh.points) }, s('title', {}, `${sh.type}${sh.name ? ': ' + sh.name : ''}`)));
      if (sh.type === 'zone' && sh.name && sh.points.length) {
        const cx = sh.points.reduce((a, q) => a + q[0], 0) / sh.points.length;
        const cy = sh.points.reduce((a, q) => a + q[1], 0) / sh.points.length;
        g.append(s('text', { x: cx * W, y: cy * H, 'text-anchor': 'middle', class: 'an-shape-label' }, sh.name));
      }
      parts.push(g);
    });
    if (draft) {
      const g = s('g', { class: `an-draft an-${draft.type}` });
      if (draft.points.length >= 2) g.append(s('polyline', { points: pts(draft.points) }));
      draft.points.forEach(([x, y], i) => g.append(s('circle', { cx: x * W, cy: y * H, r: i === 0 && draft.points.length >= 3 ? 9 : 5, class: i === 0 ? 'an-first' : '' })));
      parts.push(g);
    }
    this.svg.replaceChildren(...parts);
    this.svg.classList.toggle('drawing', !!draft);
  }
}
