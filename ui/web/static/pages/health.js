// Camera health: every camera in scope with its main stream's status,
// frame rate, bitrate, packet loss, last frame, recording gaps today and
// reconnects. Sortable (click a heading), filterable, refreshed every 5 s;
// a link to the Grafana dashboard when the service names one.
import { api, errorText, h } from '../api.js';
import { icon } from '../icons.js';
import { londonDateTime, londonTime } from '../lib/time.js';

const COLUMNS = [
  { key: 'name', title: 'Camera' },
  { key: 'ward', title: 'Ward' },
  { key: 'kind', title: 'Kind' },
  { key: 'status', title: 'Status' },
  { key: 'fps', title: 'FPS', num: true },
  { key: 'bitrate_bps', title: 'Bitrate', num: true },
  { key: 'packets_lost', title: 'Packets lost', num: true },
  { key: 'last_frame', title: 'Last frame', num: true },
  { key: 'gaps_today', title: 'Gaps today', num: true },
  { key: 'reconnects', title: 'Reconnects', num: true },
];
const STATUS_RANK = { offline: 0, unsupported: 1, connecting: 2, online: 3, disabled: 4 };
const REFRESH_MS = 5000;

export function mount(root, ctx) {
  let rows = [];
  let sort = { key: 'status', dir: 1 };
  let timer = null;
  let inflight = null;
  let alive = true;
  let fetchedAt = null;

  const filter = h('input', { type: 'search', id: 'health-filter', placeholder: 'Filter cameras', 'aria-label': 'Filter cameras' });
  const summary = h('span', { class: 'muted', id: 'health-summary' });
  const grafana = h('a', { class: 'btn', id: 'health-grafana', target: '_blank', rel: 'noopener noreferrer', hidden: true }, icon('health'), 'Grafana dashboard');
  const updated = h('span', { class: 'muted', id: 'health-updated' });
  const headRow = h('tr', {}, COLUMNS.map((c) => h('th', {
    scope: 'col', class: c.num ? 'num' : '', tabindex: '0', data: { sort: c.key },
    onclick: () => sortBy(c.key),
    onkeydown: (ev) => { if (ev.key === 'Enter' || ev.key === ' ') { ev.preventDefault(); sortBy(c.key); } },
  }, c.title)));
  const body = h('tbody', { id: 'health-rows' });
  const table = h('table', { class: 'data', id: 'health-table' }, h('thead', {}, headRow), body);
  root.append(
    h('div', { class: 'toolbar' }, h('h1', {}, 'Camera health'), h('span', { class: 'spacer' }), summary, filter,
      h('button', { class: 'btn', type: 'button', id: 'health-refresh', onclick: () => refresh(), title: 'Refresh now' }, icon('refresh'), 'Refresh'),
      grafana),
    h('div', { class: 'panel health-wrap' }, table),
    updated);

  function sortBy(key) {
    sort = sort.key === key ? { key, dir: -sort.dir } : { key, dir: 1 };
    drawRows();
  }

  function value(r, key) {
    switch (key) {
      case 'status': return STATUS_RANK[r.status] ?? 9;
      case 'last_frame': return r.last_frame ? Date.parse(r.last_frame) : 0;
      case 'gaps_today': return r.gaps_today ?? -1;
      case 'name': return (r.name || r.id).toLowerCase();
      default: return typeof r[key] === 'string' ? r[key].toLowerCase() : (r[key] ?? 0);
    }
  }

  function compare(a, b) {
    const va = value(a, sort.key);
    const vb = value(b, sort.key);
    if (va < vb) return -sort.dir;
    if (va > vb) return sort.dir;
    return (a.name || a.id).localeCompare(b.name || b.id);
  }

  function ago(ts) {
    if (!ts) return { text: 'never', old: true };
    const s = Math.max(0, Math.round((Date.now() - Date.parse(ts)) / 1000));
    const text = s < 60 ? `${s} s ago` : s < 3600 ? `${Math.floor(s / 60)} min ago` : `${londonTime(ts)}`;
    return { text, old: s > 10 };
  }

  function bitrate(bps) {
    if (!bps) return '0';
    if (bps >= 1e6) return (bps / 1e6).toFixed(2) + ' Mbit/s';
    return Math.round(bps / 1e3) + ' kbit/s';
  }

  function drawRows() {
    for (const th of headRow.children) {
      if (th.dataset.sort === sort.key) th.setAttribute('aria-sort', sort.dir > 0 ? 'ascending' : 'descending');
      else th.removeAttribute('aria-sort');
    }
    const q = filter.value.trim().toLowerCase();
    const shown = rows.filter((r) => !q || [r.id, r.name, r.ward, r.site, r.kind, r.status].join(' ').toLowerCase().includes(q)).sort(compare);
    body.replaceChildren(...shown.map((r) => {
      const lf = ago(r.last_frame);
      return h('tr', { data: { camera: r.id, status: r.status } },
        h('td', {}, h('strong', {}, r.name || r.id), ' ', h('span', { class: 'muted mono' }, r.id)),
        h('td', {}, r.ward || '—'),
        h('td', {}, r.kind || '—'),
        h('td', {}, h('span', { class: `badge badge-${r.status}` }, r.status),
          r.sub_status && r.sub_status !== r.status ? h('span', { class: 'muted' }, ` sub ${r.sub_status}`) : ''),
        h('td', { class: 'num' }, r.status === 'online' ? (r.fps || 0).toFixed(1) : '—'),
        h('td', { class: 'num' }, r.status === 'online' ? bitrate(r.bitrate_bps) : '—'),
        h('td', { class: 'num' }, String(r.packets_lost ?? 0)),
        h('td', { class: 'num' + (lf.old && r.enabled !== false ? ' ago-old' : ''), title: r.last_frame ? londonDateTime(r.last_frame) : '' }, lf.text),
        h('td', { class: 'num' }, r.gaps_today === null || r.gaps_today === undefined ? '—' : String(r.gaps_today)),
        h('td', { class: 'num' }, String(r.reconnects ?? 0)));
    }));
    if (!shown.length) body.append(h('tr', {}, h('td', { colspan: String(COLUMNS.length), class: 'muted' }, rows.length ? 'No camera matches.' : 'No cameras in your scope.')));
    const counts = {};
    for (const r of rows) counts[r.status] = (counts[r.status] || 0) + 1;
    summary.textContent = `${rows.length} cameras: ` + Object.entries(counts).map(([k, v]) => `${v} ${k}`).join(', ');
    updated.textContent = fetchedAt ? `Updated ${londonTime(fetchedAt)}; refreshes every ${REFRESH_MS / 1000} s.` : '';
  }

  async function refresh() {
    if (inflight) return;
    inflight = new AbortController();
    try {
      const res = await api('GET', '/api/v1/health', null, { signal: inflight.signal });
      if (!alive) return;
      rows = res.cameras || [];
      fetchedAt = new Date();
      updated.className = 'muted';
      if (res.grafana_url && /^https?:\/\//.test(res.grafana_url)) {
        grafana.href = res.grafana_url;
        grafana.hidden = false;
      } else {
        grafana.hidden = true;
      }
      drawRows();
    } catch (e) {
      if (alive && e.name !== 'AbortError') {
        updated.textContent = 'Cannot refresh: ' + errorText(e);
        updated.className = 'form-error';
      }
    } finally {
      inflight = null;
    }
  }

  filter.addEventListener('input', drawRows);
  drawRows();
  refresh();
  timer = setInterval(() => { if (!document.hidden) refresh(); }, REFRESH_MS);
  return () => {
    alive = false;
    clearInterval(timer);
    if (inflight) inflight.abort();
  };
}
