// heat.js: one colour scale for activity scores (the hotspot map, the
// hour-of-week table and the ranked rows), dark blue for quiet through
// amber to red for the busiest, on the dark theme.

const STOPS = [
  [0, [28, 42, 64]],
  [0.35, [47, 111, 208]],
  [0.6, [224, 164, 58]],
  [0.8, [229, 110, 60]],
  [1, [229, 83, 75]],
];

// scaleOf returns the largest finite, positive value of a list (1 when
// there is none), so that a quiet period does not paint everything red.
export function scaleOf(values) {
  let m = 0;
  for (const v of values) if (Number.isFinite(v) && v > m) m = v;
  return m > 0 ? m : 1;
}

// heatColour maps v in [0, max] to an rgb() string.
export function heatColour(v, max) {
  const f = Math.min(1, Math.max(0, (Number(v) || 0) / (max || 1)));
  for (let i = 1; i < STOPS.length; i++) {
    const [b, cb] = STOPS[i];
    const [a, ca] = STOPS[i - 1];
    if (f <= b) {
      const k = (f - a) / (b - a);
      const c = ca.map((x, j) => Math.round(x + (cb[j] - x) * k));
      return `rgb(${c[0]}, ${c[1]}, ${c[2]})`;
    }
  }
  const c = STOPS[STOPS.length - 1][1];
  return `rgb(${c[0]}, ${c[1]}, ${c[2]})`;
}

// textOn picks a readable text colour for a cell painted heatColour(v, max).
export function textOn(v, max) {
  const f = (Number(v) || 0) / (max || 1);
  return f > 0.5 ? '#111' : '#d7dde5';
}

// pct formats a share (0-1) as a percentage.
export function pct(share, digits = 1) {
  if (share === null || share === undefined || !Number.isFinite(Number(share))) return '—';
  return (Number(share) * 100).toFixed(digits) + '%';
}

// score formats a score.
export function scoreText(s) {
  if (s === null || s === undefined || !Number.isFinite(Number(s))) return '—';
  const n = Number(s);
  return Math.abs(n) >= 100 ? n.toFixed(0) : n.toFixed(2);
}
