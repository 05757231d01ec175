// events.js: analytics events (motion in a zone, tamper) of a camera over a
// time range, for the playback timeline. GET /api/v1/cameras/{id}/events.
import { api } from '../api.js';
import { londonTime, rfc3339 } from './time.js';

// kindClass groups event kinds for colour: "motion" or "tamper" (tamper.*).
export function kindClass(kind) {
  return String(kind || '').startsWith('tamper') ? 'tamper' : 'motion';
}

// eventTip describes an event in one line.
export function eventTip(e) {
  const what = kindClass(e.kind) === 'tamper' ? `tamper: ${String(e.kind).replace(/^tamper\.?/, '') || 'camera'}` : 'motion';
  const where = e.zone ? ` in ${e.zone}` : '';
  const when = `${londonTime(e.start)}–${e.end ? londonTime(e.end) : 'ongoing'}`;
  const extra = [];
  if (e.objects) extra.push(`${e.objects} object${e.objects === 1 ? '' : 's'}`);
  if (e.detail) extra.push(e.detail);
  return `${what}${where} ${when}${extra.length ? ' (' + extra.join(', ') + ')' : ''}`;
}

// fetchEvents lists a camera's events overlapping [from, to). A server
// without the events API (404) has none; other failures throw.
export async function fetchEvents(camera, from, to, signal) {
  const q = new URLSearchParams({ from: rfc3339(from), to: rfc3339(to) });
  try {
    const r = await api('GET', `/api/v1/cameras/${encodeURIComponent(camera)}/events?${q}`, null, { signal });
    return (r && r.events) || [];
  } catch (e) {
    if (e.status === 404) return [];
    throw e;
  }
}
