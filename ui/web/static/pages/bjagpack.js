// bjagpack.js: the monthly BJAG pack (a view of the Deployments page,
// #/deployments?view=pack&month=2026-11): the month's deployments (live,
// requested, reviewed, removed) with their area's activity before going
// live and since, and the month's top hotspot wards; with the same pack as
// CSV and PDF downloads for the joint action group's meeting.
//
// Data: GET /api/v1/bjag/pack?month=YYYY-MM[&format=csv|pdf].
// Hooks for tests: #dp-pack-month, #dp-pack-status, #dp-pack-csv,
// #dp-pack-pdf, #dp-pack-counts [data-count=live|requested|reviewed|removed],
// table#dp-pack-rows tbody tr[data-id][data-state], table#dp-pack-hotspots
// tbody tr[data-key].
import { api, errorText, h } from '../api.js';
import { icon } from '../icons.js';
import { londonDate, londonDateTime, londonParts } from '../lib/time.js';
import { pct, scoreText } from '../lib/heat.js';
import { stateBadge, problemName } from './fleet.js';

const MONTH_RE = /^\d{4}-(0[1-9]|1[0-2])$/;

/** thisMonth is the London month now, "2026-11". */
export function thisMonth() {
  const p = londonParts(new Date());
  return `${p.year}-${String(p.month).padStart(2, '0')}`;
}

/** mountPack draws the pack view into root; it returns its unmount. */
export function mountPack(root, ctx) {
  const abort = new AbortController();
  let alive = true;
  const asked = ctx.params.get('month');
  const monthIn = h('input', { type: 'month', id: 'dp-pack-month', value: MONTH_RE.test(asked || '') ? asked : thisMonth(), max: thisMonth(), 'aria-label': 'Month' });
  const csv = h('a', { class: 'btn', id: 'dp-pack-csv', download: '' }, icon('save'), 'CSV');
  const pdf = h('a', { class: 'btn', id: 'dp-pack-pdf', download: '' }, icon('save'), 'PDF');
  const status = h('p', { class: 'muted', id: 'dp-pack-status', role: 'status' });
  const body = h('div', { id: 'dp-pack' });
  root.append(
    h('div', { class: 'toolbar' },
      h('label', { class: 'field field-inline' }, h('span', {}, 'Month'), monthIn),
      h('button', { class: 'btn', type: 'button', id: 'dp-pack-refresh', onclick: () => load() }, icon('refresh'), 'Refresh'),
      h('span', { class: 'spacer' }), h('span', { class: 'muted' }, 'Download:'), csv, pdf),
    status, body);

  function links(month) {
    const q = (f) => '/api/v1/bjag/pack?' + new URLSearchParams({ month, format: f });
    csv.href = q('csv');
    pdf.href = q('pdf');
  }

  async function load() {
    const month = monthIn.value;
    if (!MONTH_RE.test(month)) {
      status.className = 'form-error';
      status.textContent = 'Choose a month.';
      return;
    }
    history.replaceState(null, '', '#/deployments?' + new URLSearchParams({ view: 'pack', month }));
    links(month);
    status.className = 'muted';
    status.textContent = 'Loading…';
    try {
      const p = await api('GET', '/api/v1/bjag/pack?' + new URLSearchParams({ month }), null, { signal: abort.signal });
      if (!alive || monthIn.value !== month) return;
      draw(p || {});
      status.textContent = `BJAG pack for ${monthName(p.month || month)}: ${londonDate(p.from)} to ${londonDate(new Date(Date.parse(p.to) - 1))}. Made ${londonDateTime(p.generated)}.`;
    } catch (e) {
      if (!alive || e.name === 'AbortError') return;
      status.className = 'form-error';
      status.textContent = e.status === 404 ? 'The BJAG pack is not available on this server.' : 'Cannot load the pack: ' + errorText(e);
      body.replaceChildren();
    }
  }

  function draw(p) {
    const c = p.counts || {};
    const tile = (key, title) => h('div', { class: 'dp-count', data: { count: key } }, h('strong', {}, String(c[key] ?? 0)), h('span', {}, title));
    const rows = (p.deployments || []).map((d) => h('tr', { data: { id: String(d.id), state: d.state } },
      h('td', {}, h('a', { href: `#/deployments?id=${d.id}` }, `#${d.id}`)),
      h('td', {}, stateBadge(d.state)),
      h('td', {}, problemName(d.problem)),
      h('td', {}, d.address || '—', h('br'), h('span', { class: 'muted' }, d.ward || '')),
      h('td', { class: 'mono' }, d.camera || '—'),
      h('td', {}, monthFlags(d)),
      h('td', {}, d.live_at ? londonDate(d.live_at) : '—'),
      h('td', {}, d.review_date ? londonDate(d.review_date) : '—'),
      figureCells(d.before), figureCells(d.after)));
    if (!rows.length) rows.push(h('tr', {}, h('td', { colspan: '14', class: 'muted' }, 'No deployment was requested, live, reviewed or removed in this month.')));
    const fig = ['Score', 'Motion', 'Rule hits'];
    const hot = (p.hotspots || []).map((x, i) => h('tr', { data: { key: x.key } },
      h('td', { class: 'num' }, String(i + 1)), h('td', {}, x.label || x.key),
      h('td', { class: 'num' }, scoreText(x.score)), h('td', { class: 'num' }, pct(x.motion_share)), h('td', { class: 'num' }, String(x.rule_hits ?? 0))));
    if (!hot.length) hot.push(h('tr', {}, h('td', { colspan: '5', class: 'muted' }, 'No activity recorded in this month.')));
    body.replaceChildren(
      h('div', { class: 'dp-counts', id: 'dp-pack-counts' }, tile('live', 'live'), tile('requested', 'requested'), tile('reviewed', 'reviewed'), tile('removed', 'removed')),
      h('section', { class: 'panel', 'aria-label': 'Deployments of the month' },
        h('h2', {}, 'Deployments'),
        h('p', { class: 'muted' }, 'Activity of each deployment’s area (its ward’s cameras and its own) over the four weeks before it went live, and since (at most four weeks).'),
        h('div', { class: 'dp-table-wrap' }, h('table', { class: 'data dp-pack-rows', id: 'dp-pack-rows' },
          h('thead', {},
            h('tr', {}, h('th', { colspan: '8' }), h('th', { colspan: '3', class: 'dp-group' }, 'Before'), h('th', { colspan: '3', class: 'dp-group' }, 'Since live')),
            h('tr', {}, ['#', 'State', 'Problem', 'Area', 'Camera', 'This month', 'Live from', 'Review'].map((t) => h('th', {}, t)),
              fig.concat(fig).map((t) => h('th', { class: 'num' }, t)))),
          h('tbody', {}, rows)))),
      h('section', { class: 'panel', 'aria-label': 'Top hotspots' },
        h('h2', {}, 'Top hotspot wards'),
        h('table', { class: 'data dp-pack-hotspots', id: 'dp-pack-hotspots' },
          h('thead', {}, h('tr', {}, ['#', 'Ward', 'Score', 'Motion', 'Vehicle rule hits'].map((t, i) => h('th', { class: i === 1 ? '' : 'num' }, t)))),
          h('tbody', {}, hot))));
  }

  monthIn.addEventListener('change', load);
  load();
  return () => {
    alive = false;
    abort.abort();
  };
}

function monthFlags(d) {
  const out = [];
  for (const [k, t] of [['requested', 'requested'], ['live', 'live'], ['reviewed', 'reviewed'], ['removed', 'removed']]) {
    if (d[k]) out.push(h('span', { class: 'badge dp-flag', data: { flag: k } }, t));
  }
  return out.length ? out : '—';
}

function figureCells(f) {
  if (!f) return [h('td', { class: 'num muted' }, '—'), h('td', { class: 'num muted' }, '—'), h('td', { class: 'num muted' }, '—')];
  return [h('td', { class: 'num' }, scoreText(f.score)), h('td', { class: 'num' }, pct(f.motion_share)), h('td', { class: 'num' }, String(f.rule_hits ?? 0))];
}

function monthName(m) {
  const [y, mo] = String(m).split('-').map(Number);
  if (!y || !mo) return m;
  return new Date(Date.UTC(y, mo - 1, 15)).toLocaleDateString('en-GB', { month: 'long', year: 'numeric', timeZone: 'UTC' });
}
