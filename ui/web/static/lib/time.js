// Time helpers: Vigil stores and sends UTC (RFC 3339) and shows Europe/London
// everywhere. Everything here goes through Intl with timeZone 'Europe/London',
// so GMT/BST changes come from the browser's time-zone data, not from rules
// written here.

export const ZONE = 'Europe/London';

const partsFmt = new Intl.DateTimeFormat('en-GB', {
  timeZone: ZONE, hourCycle: 'h23',
  year: 'numeric', month: '2-digit', day: '2-digit',
  hour: '2-digit', minute: '2-digit', second: '2-digit',
  weekday: 'short',
});
const monthFmt = new Intl.DateTimeFormat('en-GB', { timeZone: ZONE, month: 'short' });
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

function toDate(d) {
  if (d instanceof Date) return d;
  if (typeof d === 'number') return new Date(d);
  return new Date(String(d));
}

const pad = (n, w = 2) => String(n).padStart(w, '0');

// londonParts returns the wall-clock fields of a moment in Europe/London.
export function londonParts(date) {
  const d = toDate(date);
  const p = {};
  for (const { type, value } of partsFmt.formatToParts(d)) p[type] = value;
  return {
    year: Number(p.year), month: Number(p.month), day: Number(p.day),
    hour: Number(p.hour) % 24, minute: Number(p.minute), second: Number(p.second),
    weekday: p.weekday, ms: ((d.getTime() % 1000) + 1000) % 1000,
  };
}

// londonOffsetMinutes: minutes Europe/London is ahead of UTC at that moment (0 or 60).
export function londonOffsetMinutes(date) {
  const d = toDate(date);
  const p = londonParts(d);
  const wall = Date.UTC(p.year, p.month - 1, p.day, p.hour, p.minute, p.second, p.ms);
  return Math.round((wall - d.getTime()) / 60000);
}

// londonZone: "GMT" or "BST" (or "UTC+h" should the rules ever change).
export function londonZone(date) {
  const off = londonOffsetMinutes(date);
  if (off === 0) return 'GMT';
  if (off === 60) return 'BST';
  const s = off < 0 ? '-' : '+';
  const a = Math.abs(off);
  return `UTC${s}${Math.floor(a / 60)}${a % 60 ? ':' + pad(a % 60) : ''}`;
}

// londonTime: "HH:MM:SS".
export function londonTime(date) {
  const d = toDate(date);
  if (isNaN(d)) return '—';
  const p = londonParts(d);
  return `${pad(p.hour)}:${pad(p.minute)}:${pad(p.second)}`;
}

// londonTimeMs: "HH:MM:SS.mmm" (for the picture time during frame stepping).
export function londonTimeMs(date) {
  const d = toDate(date);
  if (isNaN(d)) return '—';
  return `${londonTime(d)}.${pad(londonParts(d).ms, 3)}`;
}

// londonDate: "Mon 24 Nov 2026".
export function londonDate(date) {
  const d = toDate(date);
  if (isNaN(d)) return '—';
  const p = londonParts(d);
  return `${p.weekday} ${p.day} ${MONTHS[p.month - 1] || monthFmt.format(d)} ${p.year}`;
}

// londonDateTime: "Mon 24 Nov 2026 14:05:03 GMT".
export function londonDateTime(date) {
  const d = toDate(date);
  if (isNaN(d)) return '—';
  return `${londonDate(d)} ${londonTime(d)} ${londonZone(d)}`;
}

// londonISODate: "2026-11-24" (the London calendar day of a moment).
export function londonISODate(date) {
  const p = londonParts(date);
  return `${pad(p.year, 4)}-${pad(p.month)}-${pad(p.day)}`;
}

// toLondonInput: the value for an <input type=datetime-local step=1>,
// "YYYY-MM-DDTHH:MM:SS" in Europe/London.
export function toLondonInput(date) {
  const d = toDate(date);
  if (isNaN(d)) return '';
  const p = londonParts(d);
  return `${pad(p.year, 4)}-${pad(p.month)}-${pad(p.day)}T${pad(p.hour)}:${pad(p.minute)}:${pad(p.second)}`;
}

const INPUT_RE = /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,3}))?)?)?$/;

// parseLondonDetail reads "YYYY-MM-DD[THH:MM[:SS[.mmm]]]" as a Europe/London wall
// time. It returns null for a malformed value, else
//   { date, ambiguous, skipped, note }
// - ambiguous: the wall time happens twice (the hour repeated when BST ends in
//   October); the FIRST occurrence (still BST) is chosen, and note says so.
// - skipped: the wall time never happens (the hour lost when BST starts in
//   March); the moment is read with the offset in force before the change
//   (so 01:30 becomes 02:30 BST), and note says so.
export function parseLondonDetail(str) {
  const m = INPUT_RE.exec(String(str || '').trim());
  if (!m) return null;
  const [y, mo, d, h = 0, mi = 0, s = 0] = m.slice(1, 7).map((v) => Number(v || 0));
  const ms = m[7] ? Number(m[7].padEnd(3, '0')) : 0;
  if (mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || s > 59) return null;
  const wall = Date.UTC(y, mo - 1, d, h, mi, s, ms);
  const check = new Date(wall);
  if (check.getUTCDate() !== d || check.getUTCMonth() !== mo - 1) return null; // 31 Feb
  // The offsets in force around that day; every valid reading is wall - offset.
  const offsets = new Set([
    londonOffsetMinutes(wall - 36 * 3600e3),
    londonOffsetMinutes(wall),
    londonOffsetMinutes(wall + 36 * 3600e3),
  ]);
  const matches = [];
  for (const off of offsets) {
    const t = wall - off * 60000;
    const p = londonParts(t);
    if (p.year === y && p.month === mo && p.day === d && p.hour === h && p.minute === mi && p.second === s) {
      matches.push(t);
    }
  }
  matches.sort((a, b) => a - b);
  if (matches.length === 1) {
    return { date: new Date(matches[0]), ambiguous: false, skipped: false, note: '' };
  }
  if (matches.length > 1) {
    const first = new Date(matches[0]);
    return {
      date: first, ambiguous: true, skipped: false,
      note: `${pad(h)}:${pad(mi)} happens twice on this day (clocks go back); using the first, ${londonZone(first)} (${rfc3339(first)}).`,
    };
  }
  // No reading: the clocks went forward over this time. Use the offset before.
  const before = londonOffsetMinutes(wall - 36 * 3600e3);
  const t = new Date(wall - before * 60000);
  return {
    date: t, ambiguous: false, skipped: true,
    note: `${pad(h)}:${pad(mi)} does not exist on this day (clocks go forward); using ${londonTime(t)} ${londonZone(t)}.`,
  };
}

// parseLondonInput: the value of an <input type=datetime-local> read as
// Europe/London → Date (null when malformed). In the repeated October hour the
// first occurrence is taken (see parseLondonDetail for the note to show).
export function parseLondonInput(str) {
  const r = parseLondonDetail(str);
  return r ? r.date : null;
}

// londonDayStart: the moment the London calendar day of `date` starts (00:00).
export function londonDayStart(date) {
  return parseLondonInput(londonISODate(date) + 'T00:00:00');
}

// londonDayBounds: [start, end) of the London day containing `date`
// (23 or 25 hours long on change days).
export function londonDayBounds(date) {
  const start = londonDayStart(date);
  const p = londonParts(start);
  const next = new Date(Date.UTC(p.year, p.month - 1, p.day + 1));
  const end = parseLondonInput(`${pad(next.getUTCFullYear(), 4)}-${pad(next.getUTCMonth() + 1)}-${pad(next.getUTCDate())}T00:00:00`);
  return [start, end];
}

// rfc3339: UTC RFC 3339 for the API ("2026-11-24T14:05:03Z", with milliseconds
// only when they are not zero).
export function rfc3339(date) {
  const d = toDate(date);
  if (isNaN(d)) return '';
  const iso = d.toISOString();
  return iso.endsWith('.000Z') ? iso.slice(0, -5) + 'Z' : iso;
}

// formatDuration: "1 h 02 min", "4 min 05 s", "12 s".
export function formatDuration(ms) {
  const s = Math.max(0, Math.round(ms / 1000));
  const h = Math.floor(s / 3600), m = Math.floor((s % 3600) / 60), r = s % 60;
  if (h) return `${h} h ${pad(m)} min`;
  if (m) return `${m} min ${pad(r)} s`;
  return `${r} s`;
}
