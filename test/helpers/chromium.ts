import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { PNG } from 'pngjs';

/**
 * Headless Chromium for the report rendering tests. Under CI=true a test must run (and fails when
 * Chromium is missing); elsewhere, without Chromium, the suite is replaced by one test that
 * records why it is absent.
 */
export const CHROMIUM = ['/usr/bin/chromium', '/usr/bin/chromium-browser'].find((p) => existsSync(p));
export const MUST_RUN = process.env.CI === 'true';

export const describeRender: (name: string, fn: () => void) => void =
  CHROMIUM !== undefined || MUST_RUN
    ? describe
    : (name) =>
        describe(name, () => {
          it('is not rendered: Chromium is not installed here (CI=true requires it)', () => {
            expect(CHROMIUM).toBeUndefined();
          });
        });

/** Render `file` headless (flags as this machine's closed network needs) and read the PNG. */
export function screenshot(file: string, dir: string, size = { width: 1400, height: 2000 }): PNG {
  if (CHROMIUM === undefined) throw new Error('CI=true but Chromium is not installed (/usr/bin/chromium)');
  const shot = join(dir, 'shot.png');
  execFileSync(
    CHROMIUM,
    [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      `--user-data-dir=${join(dir, 'profile')}`,
      `--screenshot=${shot}`,
      `--window-size=${size.width},${size.height}`,
      `file://${file}`,
    ],
    { stdio: 'ignore', timeout: 60_000 },
  );
  return PNG.sync.read(readFileSync(shot));
}

function hex(color: string): [number, number, number] {
  const m = /^#([0-9a-f]{2})([0-9a-f]{2})([0-9a-f]{2})$/i.exec(color);
  if (!m) throw new Error(`not a #rrggbb colour: ${color}`);
  return [
    Number.parseInt(m[1] as string, 16),
    Number.parseInt(m[2] as string, 16),
    Number.parseInt(m[3] as string, 16),
  ];
}

export interface Box {
  x0: number;
  y0: number;
  x1: number;
  y1: number;
}

/** Pixels within `tol` of `color` inside the box. */
export function countColor(png: PNG, color: string, box: Box, tol = 24): number {
  const [r, g, b] = hex(color);
  let n = 0;
  for (let y = box.y0; y < Math.min(box.y1, png.height); y++) {
    for (let x = box.x0; x < Math.min(box.x1, png.width); x++) {
      const i = (y * png.width + x) * 4;
      if (
        Math.abs((png.data[i] as number) - r) <= tol &&
        Math.abs((png.data[i + 1] as number) - g) <= tol &&
        Math.abs((png.data[i + 2] as number) - b) <= tol
      )
        n++;
    }
  }
  return n;
}

/** What the browser laid out for one chart (`<figure class="chart">`), in CSS pixels. */
export interface ChartLayout {
  id: string;
  /** The chart's SVG on the page. */
  svg: Box;
  /** Time-axis labels: their text, the time they stand for, and where they were drawn. */
  ticks: { label: string; ms: number; box: Box }[];
  /** Each drawn series polyline: its name, stroke colour and bounding box. */
  series: { name: string; stroke: string; box: Box }[];
  /** Legend entries (series, bands and kinds of event marker), and the event-marker ones alone. */
  legend: string[];
  eventKeys: string[];
  /** Event marker lines drawn. */
  events: number;
}

/**
 * Lay `file` out in headless Chromium and read back each chart's geometry. The report itself has
 * no scripts; a copy with one measuring script appended is loaded, and the DOM it leaves is read.
 */
export function chartLayouts(file: string, dir: string, width = 1400): ChartLayout[] {
  if (CHROMIUM === undefined) throw new Error('CI=true but Chromium is not installed (/usr/bin/chromium)');
  const probe = join(dir, 'measured.html');
  const script = `<script>
const box = (r) => ({ x0: r.left, y0: r.top, x1: r.right, y1: r.bottom });
const out = [...document.querySelectorAll('figure.chart')].map((f) => ({
  id: f.id,
  svg: box(f.querySelector('svg').getBoundingClientRect()),
  ticks: [...f.querySelectorAll('text.xtick')].map((t) => ({ label: t.textContent, ms: Number(t.dataset.ms), box: box(t.getBoundingClientRect()) })),
  series: [...f.querySelectorAll('polyline.series')].map((p) => ({ name: p.dataset.series, stroke: p.getAttribute('stroke'), box: box(p.getBoundingClientRect()) })),
  legend: [...f.querySelectorAll('figcaption .key')].map((k) => k.textContent),
  eventKeys: [...f.querySelectorAll('figcaption .event-key')].map((k) => k.textContent),
  events: f.querySelectorAll('line.event').length,
}));
const pre = document.createElement('pre');
pre.id = 'layout';
pre.textContent = JSON.stringify(out);
document.body.append(pre);
</script>`;
  writeFileSync(probe, readFileSync(file, 'utf8').replace('</body>', `${script}</body>`));
  const dom = execFileSync(
    CHROMIUM,
    [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      `--user-data-dir=${join(dir, 'profile')}`,
      `--window-size=${width},1000`,
      '--dump-dom',
      `file://${probe}`,
    ],
    { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'], timeout: 60_000, maxBuffer: 64 * 1024 * 1024 },
  );
  const json = /<pre id="layout">([\s\S]*?)<\/pre>/.exec(dom)?.[1];
  if (json === undefined) throw new Error(`no layout in the DOM Chromium dumped for ${file}`);
  const text = json
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&quot;/g, '"')
    .replace(/&amp;/g, '&');
  return JSON.parse(text) as ChartLayout[];
}
