// Draws the 8 original demo illustrations as SVG (flat editorial style, no text)
// and rasterizes them with sharp into demo/images/<name>.jpg (960×540, mozjpeg).
//
//   npm run demo:images                     (node --import tsx scripts/make-demo-images.ts)
//   npm run demo:images -- skyline-dawn     only the named scenes
//
// Output is deterministic: all "random" detail comes from a seeded PRNG.

import { mkdir, writeFile, stat } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import sharp from 'sharp';

const W = 960;
const H = 540;
const MAX_BYTES = 60 * 1024;
const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const outDir = path.join(root, 'demo', 'images');

// ---------- types ----------

/** Seeded pseudo-random source: each call returns the next number in [0, 1). */
type Rand = () => number;
/** A vertex [x, y] in SVG user units. */
type Point = readonly [x: number, y: number];
/** A linear gradient stop: offset in [0, 1] and colour. */
type LinearStop = readonly [offset: number, color: string];
/** A radial gradient stop: offset, colour and opacity (default 1). */
type RadialStop = readonly [offset: number, color: string, opacity?: number];
/** A scene draws one illustration and returns its complete SVG document. */
type Scene = () => string;

interface LinearVector {
  x1?: number;
  y1?: number;
  x2?: number;
  y2?: number;
}

interface RadialShape {
  cx?: number;
  cy?: number;
  r?: number;
}

interface SkylineBase {
  x0: number;
  x1: number;
  /** y of the street line the towers stand on. */
  base: number;
  minH: number;
  maxH: number;
  minW: number;
  maxW: number;
  fill: string;
  gap?: number;
}

/** Towers either have lit windows (then in `winColor`) or none. */
type SkylineOptions = (SkylineBase & { windows: false }) | (SkylineBase & { windows: true; winColor: string; winChance?: number });

// ---------- helpers ----------

/** `items[i]`, for indices the caller keeps in range (noUncheckedIndexedAccess). */
function at<T>(items: readonly T[], i: number): T {
  const item = items[i];
  if (item === undefined) throw new RangeError(`index ${i} outside 0..${items.length - 1}`);
  return item;
}

function rng(seed: number): Rand {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const r1 = (n: number): number => Math.round(n * 10) / 10;

function svg(defs: string, body: string): string {
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}">` + `<defs>${defs}</defs>${body}</svg>`;
}

function linear(id: string, stops: readonly LinearStop[], { x1 = 0, y1 = 0, x2 = 0, y2 = 1 }: LinearVector = {}): string {
  return (
    `<linearGradient id="${id}" x1="${x1}" y1="${y1}" x2="${x2}" y2="${y2}">` +
    stops.map(([o, c]) => `<stop offset="${o}" stop-color="${c}"/>`).join('') +
    `</linearGradient>`
  );
}

function radial(id: string, stops: readonly RadialStop[], { cx = 0.5, cy = 0.5, r = 0.5 }: RadialShape = {}): string {
  return (
    `<radialGradient id="${id}" cx="${cx}" cy="${cy}" r="${r}">` +
    stops.map(([o, c, a = 1]) => `<stop offset="${o}" stop-color="${c}" stop-opacity="${a}"/>`).join('') +
    `</radialGradient>`
  );
}

const rect = (x: number, y: number, w: number, h: number, fill: string, extra = ''): string =>
  `<rect x="${r1(x)}" y="${r1(y)}" width="${r1(w)}" height="${r1(h)}" fill="${fill}" ${extra}/>`;
const circle = (cx: number, cy: number, r: number, fill: string, extra = ''): string =>
  `<circle cx="${r1(cx)}" cy="${r1(cy)}" r="${r1(r)}" fill="${fill}" ${extra}/>`;
const poly = (pts: readonly Point[], fill: string, extra = ''): string =>
  `<polygon points="${pts.map(([x, y]) => `${r1(x)},${r1(y)}`).join(' ')}" fill="${fill}" ${extra}/>`;
const line = (x1: number, y1: number, x2: number, y2: number, stroke: string, sw: number, extra = ''): string =>
  `<line x1="${r1(x1)}" y1="${r1(y1)}" x2="${r1(x2)}" y2="${r1(y2)}" stroke="${stroke}" stroke-width="${sw}" ${extra}/>`;

/** A row of rectangular towers with optional lit windows. */
function skyline(rand: Rand, opts: SkylineOptions): string {
  const { x0, x1, base, minH, maxH, minW, maxW, fill, gap = 2 } = opts;
  let out = '';
  let x = x0;
  while (x < x1) {
    const w = minW + rand() * (maxW - minW);
    const h = minH + rand() * (maxH - minH);
    const top = base - h;
    out += rect(x, top, w, h, fill);
    const roof = rand();
    if (roof < 0.18)
      out += poly(
        [
          [x, top],
          [x + w / 2, top - w * 0.45],
          [x + w, top],
        ],
        fill,
      );
    else if (roof < 0.32) out += rect(x + w * 0.42, top - 18, 2.5, 18, fill);
    else if (roof < 0.45) out += rect(x + w * 0.2, top - 8, w * 0.6, 8, fill);
    if (opts.windows) {
      const { winColor, winChance = 0.35 } = opts;
      for (let wy = top + 8; wy < base - 10; wy += 11) {
        for (let wx = x + 5; wx < x + w - 7; wx += 9) {
          if (rand() < winChance) out += rect(wx, wy, 4, 5, winColor);
        }
      }
    }
    x += w + gap + rand() * 6;
  }
  return out;
}

function tree(x: number, y: number, s: number, crown: string, trunk: string): string {
  return (
    rect(x - s * 0.08, y - s * 0.5, s * 0.16, s * 0.5, trunk) +
    circle(x, y - s * 0.7, s * 0.38, crown) +
    circle(x - s * 0.22, y - s * 0.55, s * 0.26, crown) +
    circle(x + s * 0.22, y - s * 0.55, s * 0.26, crown)
  );
}

function cloud(x: number, y: number, s: number, fill: string, op = 1): string {
  return (
    `<g fill="${fill}" opacity="${op}">` +
    `<ellipse cx="${r1(x)}" cy="${r1(y)}" rx="${r1(s * 1.6)}" ry="${r1(s * 0.45)}"/>` +
    circle(x - s * 0.5, y - s * 0.25, s * 0.5, fill) +
    circle(x + s * 0.25, y - s * 0.4, s * 0.62, fill) +
    `</g>`
  );
}

function bird(x: number, y: number, s: number, stroke: string): string {
  return (
    `<path d="M${r1(x - s)},${r1(y)} q${r1(s / 2)},${r1(-s / 2)} ${r1(s)},0 q${r1(s / 2)},${r1(-s / 2)} ${r1(s)},0" ` +
    `fill="none" stroke="${stroke}" stroke-width="2" stroke-linecap="round"/>`
  );
}

// ---------- scenes ----------

function skylineDawn(): string {
  const rand = rng(11);
  const defs =
    linear('sky', [
      [0, '#1f2f5c'],
      [0.45, '#7d5a8c'],
      [0.75, '#f09a72'],
      [1, '#ffd39a'],
    ]) +
    linear('river', [
      [0, '#f3b98a'],
      [0.35, '#6d6a93'],
      [1, '#1d2a4d'],
    ]) +
    radial('glow', [
      [0, '#fff1c9', 0.95],
      [0.4, '#ffd08a', 0.45],
      [1, '#ffb070', 0],
    ]);
  let b = rect(0, 0, W, H, 'url(#sky)');
  b += circle(600, 330, 260, 'url(#glow)');
  b += circle(600, 345, 62, '#ffe7b0');
  b += cloud(220, 120, 46, '#f6c3a6', 0.55) + cloud(760, 90, 38, '#f6c3a6', 0.45) + cloud(470, 170, 28, '#ffd9be', 0.5);
  // far skyline
  b += skyline(rand, { x0: -10, x1: W, base: 352, minH: 40, maxH: 120, minW: 26, maxW: 60, fill: '#9b6f8f', windows: false });
  // TV tower
  b +=
    rect(318, 150, 6, 200, '#5a4670') +
    circle(321, 205, 14, '#5a4670') +
    circle(321, 250, 9, '#5a4670') +
    poly(
      [
        [306, 352],
        [321, 250],
        [336, 352],
      ],
      '#5a4670',
    );
  // near skyline
  b += skyline(rand, {
    x0: -20,
    x1: W,
    base: 362,
    minH: 60,
    maxH: 190,
    minW: 34,
    maxW: 78,
    fill: '#3b3560',
    windows: true,
    winColor: '#ffcf7d',
    winChance: 0.22,
    gap: 4,
  });
  // embankment
  b += rect(0, 358, W, 10, '#2a2547');
  // river
  b += rect(0, 368, W, H - 368, 'url(#river)');
  for (let i = 0; i < 26; i++) {
    const y = 378 + i * 6.5 + rand() * 3;
    const w = 30 + rand() * 90 - i;
    b += rect(600 - w / 2 + (rand() - 0.5) * 40, y, w, 2.5, '#ffe2b0', `opacity="${r1(0.85 - i * 0.03)}"`);
  }
  for (let i = 0; i < 30; i++) {
    b += rect(rand() * W, 380 + rand() * 150, 20 + rand() * 60, 2, '#c9a2b9', `opacity="0.35"`);
  }
  // arch bridge on the left
  b += `<path d="M0,372 Q170,300 340,372" fill="none" stroke="#2a2547" stroke-width="7"/>` + rect(0, 368, 340, 6, '#2a2547');
  for (let x = 30; x < 330; x += 30) {
    const yy = 372 - (1 - ((x - 170) / 170) ** 2) * 36;
    b += line(x, yy, x, 369, '#2a2547', 2.5);
  }
  // small boat
  b +=
    poly(
      [
        [700, 470],
        [790, 470],
        [776, 486],
        [712, 486],
      ],
      '#1d2340',
    ) + rect(728, 452, 30, 18, '#1d2340');
  b += bird(160, 210, 9, '#3b3560') + bird(185, 196, 7, '#3b3560') + bird(205, 214, 6, '#3b3560');
  return svg(defs, b);
}

function metroViaduct(): string {
  const rand = rng(23);
  const defs =
    linear('sky', [
      [0, '#8fd0f0'],
      [1, '#e6f5fb'],
    ]) +
    linear('ground', [
      [0, '#a8d08d'],
      [1, '#7fb36a'],
    ]) +
    linear('deck', [
      [0, '#d9dde3'],
      [1, '#aeb5bf'],
    ]) +
    linear('body', [
      [0, '#ffffff'],
      [1, '#dfe6ee'],
    ]);
  let b = rect(0, 0, W, H, 'url(#sky)');
  b += cloud(180, 90, 40, '#ffffff', 0.9) + cloud(690, 70, 52, '#ffffff', 0.85) + cloud(880, 150, 26, '#ffffff', 0.8);
  // distant city
  b += skyline(rand, { x0: -10, x1: W, base: 330, minH: 50, maxH: 170, minW: 30, maxW: 70, fill: '#b8cfe0', windows: false, gap: 6 });
  b += skyline(rand, {
    x0: 20,
    x1: W,
    base: 340,
    minH: 30,
    maxH: 110,
    minW: 40,
    maxW: 80,
    fill: '#9fbbd2',
    windows: true,
    winColor: '#c9dceb',
    winChance: 0.5,
    gap: 30,
  });
  // ground + road
  b += rect(0, 330, W, H - 330, 'url(#ground)');
  b += poly(
    [
      [0, 455],
      [W, 430],
      [W, 490],
      [0, 520],
    ],
    '#6f7780',
  );
  for (let i = 0; i < 10; i++) {
    const x = i * 105 + 20;
    b += poly(
      [
        [x, 488 - x * 0.026],
        [x + 50, 488 - (x + 50) * 0.026],
        [x + 50, 492 - (x + 50) * 0.026],
        [x, 492 - x * 0.026],
      ],
      '#f2f2f2',
    );
  }
  // trees behind viaduct
  for (let i = 0; i < 16; i++) b += tree(20 + i * 62 + rand() * 20, 350 + rand() * 10, 34 + rand() * 14, i % 2 ? '#5f9a52' : '#4f8a47', '#6b4f3a');
  // piers
  for (let i = 0; i < 6; i++) {
    const x = 40 + i * 180;
    b += poly(
      [
        [x - 14, 300],
        [x + 14, 300],
        [x + 10, 440],
        [x - 10, 440],
      ],
      '#c3c9d1',
    );
    b += rect(x - 34, 290, 68, 14, '#b3bac4');
    b += rect(x - 4, 300, 4, 140, '#a9b0ba');
  }
  // deck
  b += rect(0, 262, W, 30, 'url(#deck)') + rect(0, 288, W, 5, '#8d95a0') + rect(0, 256, W, 6, '#9aa2ad');
  // catenary masts
  for (let i = 0; i < 9; i++) {
    const x = 30 + i * 120;
    b += rect(x, 176, 3, 82, '#6e7682') + rect(x - 2, 184, 26, 3, '#6e7682');
  }
  b += line(0, 188, W, 188, '#6e7682', 1.5);
  // train
  const ty = 196,
    th = 58;
  b += `<path d="M120,${ty + th} L120,${ty + 8} Q120,${ty} 128,${ty} L760,${ty} Q840,${ty} 872,${ty + th} Z" fill="url(#body)" stroke="#9aa6b4" stroke-width="1.5"/>`;
  b += rect(120, ty + 38, 740, 8, '#e8413a') + rect(120, ty + 47, 745, 3, '#2f6fb5');
  b += `<path d="M790,${ty + 6} Q835,${ty + 6} 856,${ty + 34} L790,${ty + 34} Z" fill="#1f3348"/>`;
  for (let car = 0; car < 3; car++) {
    const cx = 120 + car * 224;
    for (let wdw = 0; wdw < 5; wdw++) b += rect(cx + 14 + wdw * 40, ty + 10, 30, 20, '#27445f', 'rx="3"');
    if (car > 0) b += rect(cx - 2, ty + 2, 4, th - 2, '#b4bfcb');
    b += rect(cx + 100, ty + 8, 3, th - 10, '#c7d0da');
  }
  b += circle(862, ty + 44, 4, '#fff6c4');
  // shadow under deck
  b += rect(0, 293, W, 4, '#7a838e', 'opacity="0.5"');
  // cars on road
  const cols = ['#f4b63f', '#e05a47', '#3f7cc4', '#ffffff'];
  for (let i = 0; i < 4; i++) {
    const x = 90 + i * 230,
      y = 470 - x * 0.026;
    b +=
      rect(x, y, 64, 18, at(cols, i), 'rx="5"') +
      rect(x + 12, y - 12, 36, 14, at(cols, i), 'rx="5"') +
      rect(x + 16, y - 9, 13, 9, '#d7ecf6') +
      rect(x + 32, y - 9, 13, 9, '#d7ecf6') +
      circle(x + 14, y + 18, 6, '#2b2b2b') +
      circle(x + 50, y + 18, 6, '#2b2b2b');
  }
  return svg(defs, b);
}

function rocketLaunch(): string {
  const rand = rng(37);
  const defs =
    linear('sky', [
      [0, '#0c1633'],
      [0.55, '#283a72'],
      [0.85, '#7b5e8e'],
      [1, '#e59a6a'],
    ]) +
    linear(
      'rk',
      [
        [0, '#d7dde6'],
        [0.5, '#ffffff'],
        [1, '#c4ccd8'],
      ],
      { x1: 0, y1: 0, x2: 1, y2: 0 },
    ) +
    radial(
      'flame',
      [
        [0, '#fffbe0', 1],
        [0.35, '#ffd35a', 1],
        [0.7, '#ff8a2a', 0.9],
        [1, '#ff5a1a', 0],
      ],
      { cx: 0.5, cy: 0.2, r: 0.8 },
    ) +
    radial('glow', [
      [0, '#ffb25a', 0.8],
      [1, '#ff7a2a', 0],
    ]);
  let b = rect(0, 0, W, H, 'url(#sky)');
  for (let i = 0; i < 90; i++) b += circle(rand() * W, rand() * 300, rand() * 1.4 + 0.3, '#ffffff', `opacity="${r1(0.4 + rand() * 0.6)}"`);
  b += circle(480, 440, 300, 'url(#glow)');
  // distant hills
  b += `<path d="M0,430 Q120,395 240,420 T480,412 T720,418 T960,405 L960,540 L0,540 Z" fill="#1b2342"/>`;
  // rocket
  const cx = 470,
    top = 70,
    bodyW = 40,
    bodyBot = 330;
  // exhaust plume
  b += `<ellipse cx="${cx}" cy="${bodyBot + 70}" rx="46" ry="95" fill="url(#flame)"/>`;
  b += `<ellipse cx="${cx}" cy="${bodyBot + 34}" rx="18" ry="40" fill="#fffbe6"/>`;
  // boosters
  for (const dx of [-30, 30]) {
    b +=
      rect(cx + dx - 10, 200, 20, 128, 'url(#rk)') +
      poly(
        [
          [cx + dx - 10, 200],
          [cx + dx, 176],
          [cx + dx + 10, 200],
        ],
        '#e4e9ef',
      );
    b += poly(
      [
        [cx + dx - 10, 328],
        [cx + dx + 10, 328],
        [cx + dx + 13, 338],
        [cx + dx - 13, 338],
      ],
      '#5b6576',
    );
  }
  b += rect(cx - bodyW / 2, top + 60, bodyW, bodyBot - top - 60, 'url(#rk)');
  b += `<path d="M${cx - bodyW / 2 - 3},${top + 60} Q${cx - 22},${top + 5} ${cx},${top} Q${cx + 22},${top + 5} ${cx + bodyW / 2 + 3},${top + 60} Z" fill="#f2f4f7"/>`;
  b += rect(cx - bodyW / 2 - 3, top + 60, bodyW + 6, 6, '#c8102e');
  b += rect(cx - bodyW / 2, 190, bodyW, 5, '#c8102e') + rect(cx - bodyW / 2, 300, bodyW, 4, '#8b95a6');
  b += circle(cx, 150, 6, '#1e3a66');
  b += poly(
    [
      [cx - 14, bodyBot],
      [cx + 14, bodyBot],
      [cx + 18, bodyBot + 12],
      [cx - 18, bodyBot + 12],
    ],
    '#5b6576',
  );
  // launch tower
  const tx = 580;
  b += rect(tx, 120, 8, 320, '#3c4a68') + rect(tx + 52, 120, 8, 320, '#3c4a68');
  for (let y = 130; y < 440; y += 26)
    b += line(tx + 4, y, tx + 56, y + 26, '#3c4a68', 3) + line(tx + 56, y, tx + 4, y + 26, '#3c4a68', 3) + rect(tx, y, 60, 3, '#3c4a68');
  b += rect(tx - 8, 110, 76, 12, '#2e3a56') + rect(tx + 26, 70, 4, 40, '#2e3a56') + circle(tx + 28, 68, 4, '#ff4d4d');
  for (const y of [180, 250, 320]) b += rect(cx + 20, y, tx - cx - 20, 6, '#3c4a68');
  // pad
  b += poly(
    [
      [330, 448],
      [640, 448],
      [680, 470],
      [290, 470],
    ],
    '#2b3450',
  );
  // smoke clouds
  const smoke = ['#f3e6dc', '#e6d4c8', '#d9c3b8', '#fbefe4'];
  for (let i = 0; i < 40; i++) {
    const side = rand() < 0.5 ? -1 : 1;
    const dist = rand() * 330;
    const x = cx + side * dist;
    const y = 470 - rand() * 50 + dist * 0.05;
    b += circle(x, y, 22 + rand() * 36 - dist * 0.04, at(smoke, i % 4), `opacity="${r1(0.8 + rand() * 0.2)}"`);
  }
  b += rect(0, 500, W, 40, '#161c35');
  return svg(defs, b);
}

function solarField(): string {
  const defs =
    linear('sky', [
      [0, '#3b8fd1'],
      [0.7, '#a6d7f0'],
      [1, '#f4e6c6'],
    ]) +
    linear('sand', [
      [0, '#e9c48a'],
      [1, '#cf9a5a'],
    ]) +
    linear('panel', [
      [0, '#2f5fa8'],
      [1, '#183a73'],
    ]) +
    radial('sun', [
      [0, '#ffffff', 1],
      [0.25, '#fff3c4', 0.9],
      [1, '#fff3c4', 0],
    ]);
  let b = rect(0, 0, W, H, 'url(#sky)');
  b += circle(800, 90, 120, 'url(#sun)') + circle(800, 90, 34, '#fffbe8');
  // dunes far
  b += `<path d="M0,250 Q140,205 300,240 Q460,270 620,226 Q800,185 960,238 L960,320 L0,320 Z" fill="#e8c38f"/>`;
  b += `<path d="M0,275 Q200,245 380,272 Q560,296 760,262 Q880,244 960,260 L960,330 L0,330 Z" fill="#dcae72"/>`;
  // wind turbines
  const turbines: readonly (readonly [x: number, scale: number])[] = [
    [120, 1],
    [210, 0.8],
    [880, 0.9],
  ];
  for (const [x, s] of turbines) {
    const hy = 258 - 120 * s;
    b += poly(
      [
        [x - 3 * s, 262],
        [x + 3 * s, 262],
        [x + 1.5 * s, hy],
        [x - 1.5 * s, hy],
      ],
      '#f5f7fa',
    );
    for (const a of [-90, 30, 150]) {
      const rad = (a * Math.PI) / 180;
      b += line(x, hy, x + Math.cos(rad) * 55 * s, hy + Math.sin(rad) * 55 * s, '#f5f7fa', 4 * s, 'stroke-linecap="round"');
    }
    b += circle(x, hy, 4 * s, '#dfe3e8');
  }
  b += rect(0, 290, W, H - 290, 'url(#sand)');
  // rows of panels in perspective (vanishing point far up-center)
  const vpX = 480,
    vpY = 150;
  const rows = [300, 318, 340, 368, 404, 450, 508];
  for (const y of rows) {
    const t = (y - vpY) / (560 - vpY); // scale factor
    const ph = 8 + t * 58; // panel height
    const count = 30;
    const span = 1400 * t + 200;
    for (let i = 0; i < count; i++) {
      const x0 = vpX - span / 2 + (i / count) * span;
      const pw = (span / count) * 0.9;
      const tilt = pw * 0.18;
      b += poly(
        [
          [x0 + tilt, y - ph],
          [x0 + pw + tilt, y - ph],
          [x0 + pw, y],
          [x0, y],
        ],
        'url(#panel)',
      );
      if (t > 0.35) {
        b += line(x0 + tilt / 2, y - ph / 2, x0 + pw + tilt / 2, y - ph / 2, '#5f8fd6', 1);
        b += line(x0 + pw / 2 + tilt, y - ph, x0 + pw / 2, y, '#5f8fd6', 1);
      }
      b += poly(
        [
          [x0 + tilt, y - ph],
          [x0 + pw + tilt, y - ph],
          [x0 + pw + tilt * 0.8, y - ph + ph * 0.12],
          [x0 + tilt * 0.8, y - ph + ph * 0.12],
        ],
        '#9cc4ef',
        'opacity="0.55"',
      );
      if (t > 0.25) b += rect(x0 + pw / 2 - 1.5 * t, y, 3 * t + 1, 10 * t, '#6b6f76');
    }
    b += rect(0, y + 10 * t, W, 4 * t + 1, '#b88447', 'opacity="0.45"');
  }
  return svg(defs, b);
}

function readingRoom(): string {
  const rand = rng(53);
  const defs =
    linear('wall', [
      [0, '#5a3a2c'],
      [1, '#7a5038'],
    ]) +
    linear('floor', [
      [0, '#8a5a3a'],
      [1, '#5e3a24'],
    ]) +
    linear('night', [
      [0, '#14234a'],
      [1, '#3b4f86'],
    ]) +
    radial('lamp', [
      [0, '#ffe9a8', 0.9],
      [1, '#ffd27a', 0],
    ]);
  let b = rect(0, 0, W, H, 'url(#wall)');
  // arched windows
  for (const x of [330, 570]) {
    b += `<path d="M${x},300 L${x},120 Q${x + 30},70 ${x + 60},120 L${x + 60},300 Z" fill="url(#night)" stroke="#3a2418" stroke-width="6"/>`;
    b += line(x + 30, 100, x + 30, 300, '#3a2418', 4) + line(x, 200, x + 60, 200, '#3a2418', 4);
  }
  b += circle(615, 135, 10, '#f6efcf');
  for (let i = 0; i < 8; i++) b += circle(335 + rand() * 50, 130 + rand() * 160, 1.2, '#ffffff');
  // shelves both sides and middle
  const spine = ['#b23a2e', '#2f6a5a', '#d9a441', '#3d5a8a', '#e8d9b5', '#7a3f6a', '#3e7d3a', '#c0602f', '#1f3d5c', '#9b8b6e'];
  const shelf = (x: number, y: number, w: number, h: number, rows: number): string => {
    let s = rect(x - 8, y - 10, w + 16, h + 20, '#3a2418');
    const rh = h / rows;
    for (let r = 0; r < rows; r++) {
      const sy = y + r * rh;
      s += rect(x, sy, w, rh - 6, '#24150e');
      let bx = x + 2;
      while (bx < x + w - 8) {
        const bw = 6 + rand() * 9;
        const bh = (rh - 10) * (0.7 + rand() * 0.3);
        const c = at(spine, Math.floor(rand() * spine.length));
        if (rand() < 0.08 && bx < x + w - 30) {
          s += poly(
            [
              [bx, sy + rh - 6],
              [bx + 6, sy + rh - 6],
              [bx + 22, sy + rh - 6 - bh],
              [bx + 16, sy + rh - 6 - bh],
            ],
            c,
          );
          bx += 24;
        } else {
          s += rect(bx, sy + rh - 6 - bh, bw, bh, c) + rect(bx, sy + rh - 6 - bh + 6, bw, 2, '#000', 'opacity="0.2"');
          bx += bw + 1;
        }
      }
      s += rect(x - 8, sy + rh - 6, w + 16, 6, '#4a2f1f');
    }
    return s;
  };
  b += shelf(20, 40, 250, 300, 6) + shelf(690, 40, 250, 300, 6);
  b += shelf(430, 150, 100, 170, 3);
  // floor
  b += poly(
    [
      [0, 340],
      [W, 340],
      [W, H],
      [0, H],
    ],
    'url(#floor)',
  );
  for (let i = 0; i < 9; i++) b += line(480, 340, -600 + i * 270, H, '#4e3020', 1.5, 'opacity="0.6"');
  // lamps' glow
  const tables: readonly (readonly [x: number, y: number, w: number])[] = [
    [140, 410, 260],
    [560, 410, 260],
    [300, 480, 360],
  ];
  for (const [x, y, w] of tables) {
    b += circle(x + w * 0.3, y - 20, 80, 'url(#lamp)') + circle(x + w * 0.72, y - 20, 80, 'url(#lamp)');
  }
  // readers + tables
  const person = (x: number, y: number, c: string, hair: string): string =>
    `<path d="M${x - 22},${y} Q${x - 22},${y - 40} ${x},${y - 42} Q${x + 22},${y - 40} ${x + 22},${y} Z" fill="${c}"/>` +
    circle(x, y - 55, 14, '#e6b894') +
    `<path d="M${x - 14},${y - 57} Q${x},${y - 78} ${x + 14},${y - 57} Z" fill="${hair}"/>`;
  const shirts = ['#3d6fa8', '#c8553d', '#4f8a62', '#e0b04a', '#7a5aa0', '#2e4e6e'];
  let pi = 0;
  for (const [x, y, w] of tables) {
    b += person(x + w * 0.2, y, at(shirts, pi++ % 6), '#1e1410') + person(x + w * 0.82, y, at(shirts, pi++ % 6), '#3a2418');
    b += rect(x, y - 8, w, 16, '#a9713f') + rect(x, y + 6, w, 5, '#6a4225');
    b += rect(x + 12, y + 11, 8, 40, '#5a361e') + rect(x + w - 20, y + 11, 8, 40, '#5a361e');
    for (const f of [0.3, 0.72]) {
      const lx = x + w * f;
      b += rect(lx - 1.5, y - 30, 3, 24, '#c9a24a') + `<path d="M${lx - 16},${y - 28} Q${lx},${y - 46} ${lx + 16},${y - 28} Z" fill="#2f7a4f"/>`;
    }
    b += poly(
      [
        [x + w * 0.12, y - 9],
        [x + w * 0.28, y - 9],
        [x + w * 0.27, y - 14],
        [x + w * 0.13, y - 14],
      ],
      '#f5efe0',
    );
    b += poly(
      [
        [x + w * 0.74, y - 9],
        [x + w * 0.9, y - 9],
        [x + w * 0.89, y - 14],
        [x + w * 0.75, y - 14],
      ],
      '#f5efe0',
    );
  }
  // pendant lights
  for (const x of [240, 480, 720])
    b += line(x, 0, x, 40, '#2a180f', 2) + `<path d="M${x - 22},58 Q${x},30 ${x + 22},58 Z" fill="#d9a441"/>` + circle(x, 60, 6, '#fff4c2');
  return svg(defs, b);
}

function marathonBridge(): string {
  const rand = rng(67);
  const defs =
    linear('sky', [
      [0, '#6cb6e8'],
      [1, '#d9f0fb'],
    ]) +
    linear('water', [
      [0, '#3f8fc0'],
      [1, '#1f5f8f'],
    ]) +
    linear('deck', [
      [0, '#7d8590'],
      [1, '#5c636d'],
    ]);
  let b = rect(0, 0, W, H, 'url(#sky)');
  b += cloud(150, 80, 36, '#ffffff', 0.9) + cloud(820, 110, 44, '#ffffff', 0.85);
  // far shore city
  b += skyline(rand, { x0: -10, x1: W, base: 300, minH: 30, maxH: 110, minW: 24, maxW: 56, fill: '#a7c3d8', windows: false, gap: 3 });
  b += rect(0, 296, W, 10, '#7fa57a');
  b += rect(0, 304, W, H - 304, 'url(#water)');
  for (let i = 0; i < 40; i++) b += rect(rand() * W, 310 + rand() * 220, 20 + rand() * 50, 2, '#bfe3f7', 'opacity="0.4"');
  // bridge tower (H-shape) and cables
  const tx1 = 640,
    tx2 = 690,
    ttop = 40,
    deckY = 330;
  const anchorsL: number[] = [],
    anchorsR: number[] = [];
  for (let i = 1; i <= 9; i++) {
    anchorsL.push(tx1 - i * 62);
    anchorsR.push(tx2 + i * 32);
  }
  for (let i = 0; i < 9; i++) {
    const ay = ttop + 30 + i * 14;
    b += line(tx1 + 6, ay, at(anchorsL, i), deckY, '#f3f4f6', 2);
    b += line(tx2 + 6, ay, at(anchorsR, i), deckY, '#f3f4f6', 2);
  }
  b += poly(
    [
      [tx1 - 6, deckY + 120],
      [tx1 + 14, deckY + 120],
      [tx1 + 14, ttop],
      [tx1 + 2, ttop],
    ],
    '#e6e2da',
  );
  b += poly(
    [
      [tx2 - 2, deckY + 120],
      [tx2 + 18, deckY + 120],
      [tx2 + 10, ttop],
      [tx2 - 2, ttop],
    ],
    '#e6e2da',
  );
  b += rect(tx1, 150, tx2 - tx1 + 10, 12, '#d4cfc5') + rect(tx1, 240, tx2 - tx1 + 10, 10, '#d4cfc5');
  // deck
  b += poly(
    [
      [0, deckY - 4],
      [W, deckY - 4],
      [W, deckY + 22],
      [0, deckY + 22],
    ],
    'url(#deck)',
  );
  b += rect(0, deckY + 22, W, 6, '#4a5058');
  b += rect(0, deckY - 16, W, 3, '#c9ced6');
  for (let x = 0; x < W; x += 14) b += rect(x, deckY - 16, 2, 12, '#c9ced6');
  // piers under deck
  for (const x of [120, 360, 860]) b += rect(x, deckY + 28, 22, 100, '#8e949c');
  // road closer (foreground running lane, larger)
  b += poly(
    [
      [0, 410],
      [W, 380],
      [W, H],
      [0, H],
    ],
    '#6b7079',
  );
  b += poly(
    [
      [0, 404],
      [W, 374],
      [W, 382],
      [0, 412],
    ],
    '#d84a3a',
  );
  for (let i = 0; i < 12; i++) {
    const x = i * 90;
    b += poly(
      [
        [x, 478 - x * 0.03],
        [x + 44, 478 - (x + 44) * 0.03],
        [x + 44, 482 - (x + 44) * 0.03],
        [x, 482 - x * 0.03],
      ],
      '#f0f0f0',
    );
  }
  // runners
  const shirts = ['#e8413a', '#f5b83d', '#2f7ad1', '#35a66b', '#ffffff', '#f07fb0', '#7a5ad1', '#ff8a2a'];
  const skin = ['#f0c8a0', '#d9a679', '#c48a5c', '#f5d2b0'];
  const runner = (x: number, y: number, s: number, shirt: string, sk: string, phase: boolean): string => {
    const leg = phase ? 1 : -1;
    return (
      `<g stroke-linecap="round">` +
      line(x, y - 18 * s, x - 7 * s * leg, y, '#2b2f3a', 4.5 * s) +
      line(x, y - 18 * s, x + 8 * s * leg, y - 4 * s, '#2b2f3a', 4.5 * s) +
      `<path d="M${r1(x - 7 * s)},${r1(y - 18 * s)} L${r1(x - 5 * s)},${r1(y - 38 * s)} L${r1(x + 6 * s)},${r1(y - 38 * s)} L${r1(x + 7 * s)},${r1(y - 18 * s)} Z" fill="${shirt}"/>` +
      line(x - 4 * s, y - 35 * s, x - 12 * s * leg, y - 24 * s, sk, 3.5 * s) +
      line(x + 4 * s, y - 35 * s, x + 10 * s * leg, y - 27 * s, sk, 3.5 * s) +
      circle(x, y - 45 * s, 6 * s, sk) +
      `</g>`
    );
  };
  // runners on the bridge deck (small, many)
  for (let i = 0; i < 70; i++) {
    const x = rand() * W;
    b += runner(x, deckY + 2 + rand() * 14, 0.45, at(shirts, Math.floor(rand() * shirts.length)), at(skin, Math.floor(rand() * 4)), rand() < 0.5);
  }
  // foreground runners
  const fg: Point[] = [];
  for (let i = 0; i < 22; i++) fg.push([rand() * W, 440 + rand() * 80]);
  fg.sort((a, c) => a[1] - c[1]);
  for (const [x, y] of fg)
    b += runner(x, y, 1.1 + (y - 440) / 160, at(shirts, Math.floor(rand() * shirts.length)), at(skin, Math.floor(rand() * 4)), rand() < 0.5);
  // bunting flags at the left
  for (let i = 0; i < 14; i++) {
    const x = 10 + i * 26,
      y = 360 + Math.sin(i / 2) * 4;
    b += poly(
      [
        [x, y],
        [x + 18, y],
        [x + 9, y + 14],
      ],
      at(shirts, i % shirts.length),
    );
  }
  b += `<path d="M0,360 Q180,368 370,360" fill="none" stroke="#444" stroke-width="1.5"/>`;
  return svg(defs, b);
}

function woodblockPrint(): string {
  const rand = rng(79);
  const defs =
    linear('table', [
      [0, '#8a5a34'],
      [1, '#6b4326'],
    ]) +
    linear('paper', [
      [0, '#fbf3e2'],
      [1, '#f1e4c8'],
    ]) +
    linear(
      'block',
      [
        [0, '#c99a63'],
        [1, '#a97a45'],
      ],
      { x1: 0, y1: 0, x2: 1, y2: 1 },
    );
  let b = rect(0, 0, W, H, 'url(#table)');
  for (let i = 0; i < 28; i++) {
    const y = rand() * H;
    b += `<path d="M0,${r1(y)} Q${r1(W / 2)},${r1(y + (rand() - 0.5) * 40)} ${W},${r1(y + (rand() - 0.5) * 20)}" fill="none" stroke="#5a3720" stroke-width="${r1(1 + rand() * 2)}" opacity="0.35"/>`;
  }
  // carved block (left)
  const bx = 60,
    by = 90,
    bw = 300,
    bh = 380;
  b += rect(bx + 8, by + 10, bw, bh, '#3e2614', 'opacity="0.5"');
  b += rect(bx, by, bw, bh, 'url(#block)', 'rx="6"');
  b += rect(bx + 20, by + 20, bw - 40, bh - 40, '#b6864f', 'rx="4"');
  // carved raised pattern (mirror of the print): concentric grooves
  const groove = '#7d5530';
  b += `<g fill="none" stroke="${groove}" stroke-width="5" stroke-linecap="round">`;
  b += `<path d="M${bx + 60},${by + 270} Q${bx + 150},${by + 180} ${bx + 240},${by + 270} Q${bx + 150},${by + 330} ${bx + 60},${by + 270} Z"/>`;
  b += `<path d="M${bx + 240},${by + 270} L${bx + 270},${by + 240} L${bx + 270},${by + 300} Z"/>`;
  b += `<circle cx="${bx + 95}" cy="${by + 262}" r="8"/>`;
  for (let i = 0; i < 4; i++) b += `<path d="M${bx + 120 + i * 25},${by + 245} q10,25 0,50"/>`;
  b += `<path d="M${bx + 150},${by + 80} q-50,40 0,120 q50,-80 0,-120 Z"/>`;
  b += `<path d="M${bx + 80},${by + 120} q20,60 70,80 M${bx + 220},${by + 120} q-20,60 -70,80"/>`;
  b += `</g>`;
  // printed sheet (right): fish & lotus New-Year-print style
  const px = 420,
    py = 50,
    pw = 470,
    ph = 440;
  b += rect(px + 10, py + 12, pw, ph, '#3e2614', 'opacity="0.45"');
  b += rect(px, py, pw, ph, 'url(#paper)');
  b += rect(px + 20, py + 20, pw - 40, ph - 40, 'none', 'stroke="#c8312a" stroke-width="8"');
  b += rect(px + 34, py + 34, pw - 68, ph - 68, 'none', 'stroke="#2a6a3f" stroke-width="3"');
  const cx = px + pw / 2;
  // lotus
  b += `<path d="M${cx},${py + 100} q-48,50 0,120 q48,-70 0,-120 Z" fill="#e8577a"/>`;
  b += `<path d="M${cx - 10},${py + 215} q-70,-20 -80,-80 q60,10 80,80 Z" fill="#f28aa2"/>`;
  b += `<path d="M${cx + 10},${py + 215} q70,-20 80,-80 q-60,10 -80,80 Z" fill="#f28aa2"/>`;
  b += `<ellipse cx="${cx - 120}" cy="${py + 200}" rx="60" ry="26" fill="#2a8a4f" transform="rotate(-18 ${cx - 120} ${py + 200})"/>`;
  b += `<ellipse cx="${cx + 120}" cy="${py + 200}" rx="60" ry="26" fill="#2a8a4f" transform="rotate(18 ${cx + 120} ${py + 200})"/>`;
  b += line(cx, py + 220, cx, py + 262, '#2a6a3f', 5);
  // fish
  const fish = (fx: number, fy: number, dir: number, body: string, fin: string): string =>
    `<g transform="translate(${fx} ${fy}) scale(${dir} 1)">` +
    `<path d="M-90,0 Q-20,-62 60,0 Q-20,58 -90,0 Z" fill="${body}"/>` +
    `<path d="M55,0 L100,-34 Q88,0 100,34 Z" fill="${fin}"/>` +
    `<path d="M-20,-40 Q5,-72 30,-32 Z" fill="${fin}"/>` +
    `<circle cx="-62" cy="-6" r="7" fill="#1d1d1d"/><circle cx="-64" cy="-8" r="2.5" fill="#fff"/>` +
    `<path d="M-40,-22 q12,22 0,44 M-15,-28 q14,28 0,56 M10,-24 q12,24 0,48" fill="none" stroke="${fin}" stroke-width="4"/>` +
    `</g>`;
  b += fish(cx - 10, py + 320, 1, '#e4412f', '#f2b632');
  b += fish(cx + 10, py + 360, -1, '#f2b632', '#e4412f');
  // waves
  b += `<g fill="none" stroke="#2f5fa0" stroke-width="4" stroke-linecap="round">`;
  for (let i = 0; i < 6; i++) b += `<path d="M${px + 60 + i * 62},${py + 400} q15,-16 31,0 q15,16 31,0"/>`;
  b += `</g>`;
  // corner clouds
  const corners: readonly (readonly [x: number, y: number, dir: number])[] = [
    [px + 80, py + 80, 1],
    [px + pw - 80, py + 80, -1],
  ];
  for (const [x, y, s] of corners) {
    b += `<path d="M${x - 30 * s},${y} q${15 * s},-25 ${30 * s},0 q${15 * s},-25 ${30 * s},0" fill="none" stroke="#2f5fa0" stroke-width="5"/>`;
  }
  // tools: brush and ink roller, ink dish
  b += `<g transform="rotate(-28 300 500)">` + rect(170, 492, 190, 12, '#d9b67a', 'rx="5"') + rect(355, 488, 40, 20, '#2b1a10', 'rx="4"') + `</g>`;
  b += circle(880, 500, 40, '#1e1e1e') + circle(880, 500, 30, '#c8312a');
  b += rect(20, 20, 120, 46, '#d33c2f', 'rx="4" transform="rotate(-8 80 43)"');
  return svg(defs, b);
}

function harbourCranes(): string {
  const rand = rng(97);
  const defs =
    linear('sky', [
      [0, '#2d4d7c'],
      [0.55, '#e48a5c'],
      [1, '#ffcf8a'],
    ]) +
    linear('sea', [
      [0, '#3d5e86'],
      [1, '#1a2f4f'],
    ]) +
    radial('sun', [
      [0, '#fff2c6', 1],
      [0.3, '#ffd68a', 0.7],
      [1, '#ffb070', 0],
    ]);
  let b = rect(0, 0, W, H, 'url(#sky)');
  b += circle(180, 300, 170, 'url(#sun)') + circle(180, 300, 40, '#fff0c4');
  b += cloud(420, 120, 40, '#f7b48a', 0.55) + cloud(820, 80, 30, '#f7b48a', 0.5);
  // distant hills
  b += `<path d="M0,318 Q120,280 260,306 T560,300 T960,296 L960,330 L0,330 Z" fill="#6a5a7c"/>`;
  // sea
  b += rect(0, 330, W, H - 330, 'url(#sea)');
  for (let i = 0; i < 12; i++) b += rect(150 - rand() * 40 + rand() * 60, 458 + i * 6.5, 40 + rand() * 60, 2.5, '#ffd9a0', `opacity="${r1(0.7 - i * 0.05)}"`);
  for (let i = 0; i < 30; i++) b += rect(rand() * W, 360 + rand() * 170, 20 + rand() * 60, 2, '#8aa6c6', 'opacity="0.35"');
  // quay
  b += rect(330, 360, 630, 22, '#3a3f4a') + rect(330, 382, 630, 8, '#23262e');
  // container stacks on quay (behind cranes)
  const cc = ['#c8382b', '#2d6cb5', '#e3a330', '#3c8a55', '#8a4fa8', '#d96a2a', '#e8e8e8', '#1f8a9a'];
  for (let col = 0; col < 26; col++) {
    const x = 340 + col * 24;
    const n = 1 + Math.floor(rand() * 4);
    for (let k = 0; k < n; k++) b += rect(x, 356 - (k + 1) * 12, 22, 11, at(cc, Math.floor(rand() * cc.length)));
  }
  // ship
  b += `<path d="M20,400 L600,400 L580,450 L50,450 Z" fill="#24324a"/>`;
  b += rect(20, 440, 570, 10, '#b0302a');
  b += rect(40, 352, 60, 48, '#e9ecf0') + rect(50, 330, 40, 22, '#e9ecf0') + rect(64, 312, 10, 18, '#c83a2a');
  for (let i = 0; i < 3; i++) b += rect(48 + i * 16, 360, 10, 6, '#2b4468');
  for (let col = 0; col < 19; col++) {
    const x = 112 + col * 25;
    const n = 2 + Math.floor(rand() * 4);
    for (let k = 0; k < n; k++) {
      const c = at(cc, Math.floor(rand() * cc.length));
      b +=
        rect(x, 400 - (k + 1) * 14, 24, 13, c) +
        rect(x + 3, 400 - (k + 1) * 14 + 3, 1.5, 7, '#000', 'opacity="0.25"') +
        rect(x + 19, 400 - (k + 1) * 14 + 3, 1.5, 7, '#000', 'opacity="0.25"');
    }
  }
  // ship-to-shore gantry cranes
  const crane = (x: number, col: string): string => {
    let s = '';
    // legs
    s += rect(x, 150, 10, 212, col) + rect(x + 70, 150, 10, 212, col);
    s += line(x + 5, 200, x + 75, 300, col, 5) + line(x + 75, 200, x + 5, 300, col, 5);
    s += rect(x - 4, 146, 88, 14, col);
    // boom extending over the ship (to the left) and back-reach
    s += rect(x - 210, 120, 340, 12, col);
    s += rect(x + 20, 60, 8, 90, col) + rect(x + 52, 60, 8, 90, col) + rect(x + 16, 56, 48, 10, col);
    s += line(x + 24, 64, x - 200, 121, col, 3) + line(x + 56, 64, x + 128, 121, col, 3);
    s += rect(x - 90, 132, 26, 14, '#e9ecf0');
    s += line(x - 82, 146, x - 82, 270, '#222', 1.5) + line(x - 72, 146, x - 72, 270, '#222', 1.5);
    s += rect(x - 92, 270, 30, 6, '#333') + rect(x - 90, 276, 26, 12, at(cc, ((x / 10) % cc.length) | 0));
    s += rect(x - 6, 356, 92, 8, '#23262e');
    return s;
  };
  b += crane(420, '#2f6fb5') + crane(600, '#d2412f') + crane(780, '#2f6fb5');
  // tug boat
  b +=
    poly(
      [
        [640, 470],
        [730, 470],
        [716, 490],
        [652, 490],
      ],
      '#c8382b',
    ) +
    rect(664, 452, 34, 18, '#f0f0f0') +
    rect(676, 440, 8, 12, '#222');
  b += bird(300, 200, 8, '#3a2e4a') + bird(322, 188, 6, '#3a2e4a');
  return svg(defs, b);
}

const SCENES: Readonly<Record<string, Scene>> = {
  'skyline-dawn': skylineDawn,
  'metro-viaduct': metroViaduct,
  'rocket-launch': rocketLaunch,
  'solar-field': solarField,
  'reading-room': readingRoom,
  'marathon-bridge': marathonBridge,
  'woodblock-print': woodblockPrint,
  'harbour-cranes': harbourCranes,
};

async function main(): Promise<void> {
  await mkdir(outDir, { recursive: true });
  const only = process.argv.slice(2);
  let failed = false;
  for (const [name, draw] of Object.entries(SCENES)) {
    if (only.length && !only.includes(name)) continue;
    const markup = draw();
    const file = path.join(outDir, `${name}.jpg`);
    let quality = 70;
    let buf: Buffer;
    // Step quality down if a scene ever exceeds the size budget.
    for (;;) {
      buf = await sharp(Buffer.from(markup), { density: 72 })
        .resize(W, H)
        .flatten({ background: '#ffffff' })
        .jpeg({ quality, mozjpeg: true, chromaSubsampling: '4:2:0' })
        .toBuffer();
      if (buf.length < MAX_BYTES || quality <= 40) break;
      quality -= 5;
    }
    await writeFile(file, buf);
    const { size } = await stat(file);
    const ok = size < MAX_BYTES;
    if (!ok) failed = true;
    console.log(`${ok ? 'ok  ' : 'BIG '} ${name}.jpg  ${size} bytes  (q${quality})`);
  }
  if (failed) {
    console.error(`some images exceed ${MAX_BYTES} bytes`);
    process.exitCode = 1;
  }
}

await main();
