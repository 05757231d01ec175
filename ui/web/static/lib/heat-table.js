// heat-table.js: activity by hour of the week, a 7 × 24 table (Monday to
// Sunday × 00 to 23, Europe/London hours as the API counts them), each
// cell coloured by its score, its numbers (motion, objects, vehicle rule
// hits) in the tooltip.
//
// Hooks for tests: table#hs-heat, td.hs-cell[data-dow][data-hour][data-score][data-hits].
import { h } from '../api.js';
import { heatColour, textOn, scaleOf, pct, scoreText } from './heat.js';

export const DAYS = ['Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat', 'Sun'];

// hitsText says how many vehicle rule hits (alerts of the ANPR behaviour
// rules: repeat passes, dwell, gathering) a place or hour had.
export function hitsText(n) {
  const k = Number(n) || 0;
  return `${k} vehicle rule hit${k === 1 ? '' : 's'}`;
}

export function heatTable(cells) {
  const by = new Map();
  for (const c of cells || []) by.set(`${c.dow}|${c.hour}`, c);
  const max = scaleOf((cells || []).map((c) => Number(c.score)));
  const hours = [...Array(24).keys()];
  const head = h('tr', {}, h('th', { scope: 'col' }, ''), hours.map((hr) => h('th', { scope: 'col', class: 'hs-hour' }, String(hr).padStart(2, '0'))));
  const rows = DAYS.map((day, dow) => h('tr', {}, h('th', { scope: 'row' }, day), hours.map((hr) => {
    const c = by.get(`${dow}|${hr}`);
    const score = c ? Number(c.score) || 0 : 0;
    const td = h('td', {
      class: 'hs-cell' + (c ? '' : ' hs-cell-none'),
      data: { dow: String(dow), hour: String(hr), score: String(score), hits: String(c ? Number(c.rule_hits) || 0 : 0) },
      title: c ? `${day} ${String(hr).padStart(2, '0')}:00–${String(hr).padStart(2, '0')}:59: motion ${pct(c.motion_share)}, ${c.objects ?? 0} objects, ${hitsText(c.rule_hits)}, score ${scoreText(score)}`
        : `${day} ${String(hr).padStart(2, '0')}:00: no data`,
    }, c && score > 0 ? scoreText(score) : '');
    if (c) {
      td.style.background = heatColour(score, max);
      td.style.color = textOn(score, max);
    }
    return td;
  })));
  return h('table', { class: 'hs-heat', id: 'hs-heat', 'aria-label': 'Activity by hour of the week (London time)' },
    h('thead', {}, head), h('tbody', {}, rows));
}

// legend shows the colour scale from quiet to the busiest score seen
// (max null: no score yet).
export function legend(max) {
  const swatches = [0, 0.25, 0.5, 0.75, 1].map((f) => {
    const sw = h('span', { class: 'hs-swatch' });
    sw.style.background = heatColour(f, 1);
    return sw;
  });
  return h('span', { class: 'hs-legend', id: 'hs-legend' }, h('span', { class: 'muted' }, 'quiet'), swatches,
    h('span', { class: 'muted' }, max === null ? 'busiest' : `busiest (${scoreText(max)})`));
}
