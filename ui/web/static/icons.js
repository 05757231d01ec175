// icons.js: inline SVG icons (no icon fonts, no requests). icon(name)
// returns an <svg> element sized by CSS (class "icon"), aria-hidden.
const paths = {
  wall: 'M3 3h8v8H3zM13 3h8v8h-8zM3 13h8v8H3zM13 13h8v8h-8z',
  play: 'M7 4l13 8-13 8z',
  pause: 'M6 4h4v16H6zM14 4h4v16h-4z',
  stop: 'M5 5h14v14H5z',
  bookmark: 'M6 3h12v18l-6-5-6 5z',
  evidence: 'M12 2l8 4v6c0 5-3.5 8.5-8 10-4.5-1.5-8-5-8-10V6z',
  health: 'M3 12h4l2-6 4 12 2-6h6',
  admin: 'M12 8a4 4 0 100 8 4 4 0 000-8zM3 12h2M19 12h2M12 3v2M12 19v2M5.6 5.6l1.4 1.4M17 17l1.4 1.4M5.6 18.4L7 17M17 7l1.4-1.4',
  logout: 'M15 4h4v16h-4M10 8l-4 4 4 4M6 12h10',
  fullscreen: 'M4 9V4h5M15 4h5v5M20 15v5h-5M9 20H4v-5',
  close: 'M5 5l14 14M19 5L5 19',
  search: 'M10 4a6 6 0 100 12 6 6 0 000-12zM15 15l5 5',
  save: 'M5 3h11l3 3v15H5zM8 3v6h8V3M8 21v-7h8v7',
  tour: 'M4 12a8 8 0 0114-5.3M20 12a8 8 0 01-14 5.3M18 3v4h-4M6 21v-4h4',
  prev: 'M15 5l-7 7 7 7',
  next: 'M9 5l7 7-7 7',
  camera: 'M3 7h12v10H3zM15 10l6-3v10l-6-3z',
  offline: 'M3 3l18 18M8.5 8.5A5 5 0 0012 17M5 5a10 10 0 0014 14M12 7a5 5 0 015 5',
  refresh: 'M20 11a8 8 0 10-2.3 5.7M20 4v7h-7',
  plus: 'M12 5v14M5 12h14',
  trash: 'M4 7h16M9 7V4h6v3M6 7l1 13h10l1-13',
  user: 'M12 4a4 4 0 100 8 4 4 0 000-8zM4 21c1-4 4-6 8-6s7 2 8 6',
  key: 'M8 14a4 4 0 110-8 4 4 0 010 8zM11 11l9 0M17 11v3M20 11v3',
  map: 'M12 21s-6-5.5-6-11a6 6 0 0112 0c0 5.5-6 11-6 11zM12 8a2 2 0 100 4 2 2 0 000-4z',
  bell: 'M6 16V11a6 6 0 0112 0v5l2 2H4zM10 20a2 2 0 004 0',
  sound: 'M4 9h4l5-4v14l-5-4H4zM16 9a4 4 0 010 6M18.5 6.5a8 8 0 010 11',
  mute: 'M4 9h4l5-4v14l-5-4H4zM16 9l5 6M21 9l-5 6',
  check: 'M5 12l5 5 9-10',
  plate: 'M2 7h20v10H2zM6 10v4M10 10h2v4M16 10h2v2h-2v2h2',
  ptz: 'M12 2v4M12 18v4M2 12h4M18 12h4M12 8a4 4 0 100 8 4 4 0 000-8z',
  arrow: 'M12 19V5M6 11l6-6 6 6',
  'zoom-in': 'M10 4a6 6 0 100 12 6 6 0 000-12zM15 15l5 5M7 10h6M10 7v6',
  'zoom-out': 'M10 4a6 6 0 100 12 6 6 0 000-12zM15 15l5 5M7 10h6',
  home: 'M3 11l9-8 9 8M5 10v10h5v-6h4v6h5V10',
};

export function icon(name, label) {
  const ns = 'http://www.w3.org/2000/svg';
  const svg = document.createElementNS(ns, 'svg');
  svg.setAttribute('viewBox', '0 0 24 24');
  svg.setAttribute('class', 'icon');
  svg.setAttribute('fill', 'none');
  svg.setAttribute('stroke', 'currentColor');
  svg.setAttribute('stroke-width', '2');
  svg.setAttribute('stroke-linecap', 'round');
  svg.setAttribute('stroke-linejoin', 'round');
  if (label) {
    svg.setAttribute('role', 'img');
    svg.setAttribute('aria-label', label);
  } else {
    svg.setAttribute('aria-hidden', 'true');
  }
  const p = document.createElementNS(ns, 'path');
  p.setAttribute('d', paths[name] || paths.camera);
  if (name === 'play' || name === 'pause' || name === 'stop') p.setAttribute('fill', 'currentColor');
  svg.append(p);
  return svg;
}

export const iconNames = Object.keys(paths);
