/**
 * Self-contained charts as inline SVG strings: no scripts, no external assets, so a report is one
 * HTML file that opens anywhere. Used by the backtest report and the local run's report.
 *
 *   lineChart({ title, t, series, bands, events, ... }) -> '<figure>…<svg>…</svg></figure>'
 *   scatterChart({ title, points, lines, region, ... }) -> '<figure>…<svg>…</svg></figure>'
 *   timeline(events) -> '<ol class="timeline">…</ol>'
 *   table(headers, rows) -> '<table>…</table>'
 *   page(title, bodyHtml) -> a complete HTML document with the shared style
 *
 * Long series are reduced to at most one point per horizontal pixel (the max of the bucket by
 * default, so peaks and shortfalls stay visible). Time axes tick on round UTC times
 * (`timeTicks`), and every chart's legend keys its series, bands and kinds of event marker.
 */

import { dateRange, timeTicks, utcMinute } from './time-axis';

export interface ChartSeries {
  name: string;
  /** CSS colour; use distinct saturated colours (the rendering test looks for them). */
  color: string;
  values: ArrayLike<number>;
  /** 'line' (default), 'step' (held until the next sample) or 'area' (filled to zero). */
  kind?: 'line' | 'step' | 'area';
  /** How a pixel bucket is reduced. Default 'max'. */
  reduce?: 'max' | 'min' | 'mean';
  dashed?: boolean;
  /** An SVG dash pattern (e.g. '7 5'); overrides `dashed`. */
  dash?: string;
  width?: number;
}

export interface ChartBand {
  name: string;
  color: string;
  low: ArrayLike<number>;
  high: ArrayLike<number>;
  opacity?: number;
}

export interface ChartEvent {
  /** Epoch ms. */
  t: number;
  label: string;
  color?: string;
  /** The legend entry of this kind of marker (e.g. 'rollback'); markers without one are not keyed. */
  kind?: string;
}

export interface LineChartOptions {
  title: string;
  /** Epoch ms of each sample (shared by every series and band). */
  t: ArrayLike<number>;
  /** Drawn in this order: a later series lies on top of an earlier one where they meet. */
  series: readonly ChartSeries[];
  bands?: readonly ChartBand[];
  events?: readonly ChartEvent[];
  yLabel?: string;
  width?: number;
  height?: number;
  /** Fixed y range; default [0, max of the data × 1.05]. */
  yMin?: number;
  yMax?: number;
  /** Sample index range [from, to) to draw. */
  from?: number;
  to?: number;
  /** An id for the <figure>, so tests and links can find it. */
  id?: string;
}

const PAD = { left: 56, right: 16, top: 30, bottom: 44 };

export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) =>
    c === '&' ? '&amp;' : c === '<' ? '&lt;' : c === '>' ? '&gt;' : c === '"' ? '&quot;' : '&#39;',
  );
}

function fmt(x: number): string {
  return Number.isInteger(x) ? String(x) : x.toFixed(1);
}

/** Round-number ticks covering [lo, hi]. */
export function niceTicks(lo: number, hi: number, count = 5): number[] {
  const span = hi - lo;
  if (!(span > 0)) return [lo];
  const raw = span / count;
  const mag = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 2.5, 5, 10].map((m) => m * mag).find((s) => span / s <= count) ?? 10 * mag;
  const out: number[] = [];
  for (let v = Math.ceil(lo / step - 1e-9) * step; v <= hi + 1e-9 * step; v += step)
    out.push(Number(v.toPrecision(12)));
  return out;
}

interface Buckets {
  /** First sample index of each bucket. */
  starts: number[];
  count: number;
}

function buckets(from: number, to: number, pixels: number): Buckets {
  const n = to - from;
  const count = Math.max(1, Math.min(n, pixels));
  const starts: number[] = [];
  for (let b = 0; b < count; b++) starts.push(from + Math.floor((b * n) / count));
  return { starts, count };
}

function reduceBucket(values: ArrayLike<number>, a: number, b: number, how: 'max' | 'min' | 'mean'): number {
  let acc = how === 'max' ? Number.NEGATIVE_INFINITY : how === 'min' ? Number.POSITIVE_INFINITY : 0;
  let n = 0;
  for (let i = a; i < b; i++) {
    const v = values[i] as number;
    if (!Number.isFinite(v)) continue;
    n++;
    if (how === 'max') acc = v > acc ? v : acc;
    else if (how === 'min') acc = v < acc ? v : acc;
    else acc += v;
  }
  if (n === 0) return Number.NaN;
  return how === 'mean' ? acc / n : acc;
}

/** The opening of a chart's SVG on a white background, with horizontal grid lines and y labels. */
function svgFrame(
  o: { title: string; width: number; height: number; left: number; right: number },
  yTicks: readonly number[],
  y: (v: number) => number,
  label: (v: number) => string,
): string[] {
  const parts = [
    `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${o.width} ${o.height}" width="${o.width}" height="${o.height}" role="img" aria-label="${escapeHtml(o.title)}">`,
    `<rect x="0" y="0" width="${o.width}" height="${o.height}" fill="#ffffff"/>`,
  ];
  for (const v of yTicks) {
    const yy = y(v).toFixed(1);
    parts.push(`<line x1="${o.left}" y1="${yy}" x2="${o.width - o.right}" y2="${yy}" stroke="#e5e5e5"/>`);
    parts.push(
      `<text x="${o.left - 6}" y="${yy}" text-anchor="end" dominant-baseline="middle" class="tick">${label(v)}</text>`,
    );
  }
  return parts;
}

/** A line (or step/area) chart with optional bands and event markers, as an SVG figure. */
export function lineChart(o: LineChartOptions): string {
  const width = o.width ?? 1200;
  const height = o.height ?? 300;
  const from = Math.max(0, o.from ?? 0);
  const to = Math.min(o.t.length, o.to ?? o.t.length);
  const plotW = width - PAD.left - PAD.right;
  const plotH = height - PAD.top - PAD.bottom;
  const bk = buckets(from, to, plotW);
  const end = (b: number): number => (b + 1 < bk.count ? (bk.starts[b + 1] as number) : to);
  const reduced = o.series.map((s) =>
    bk.starts.map((a, b) => reduceBucket(s.values, a, end(b), s.reduce ?? 'max')),
  );
  const bands = (o.bands ?? []).map((band) => ({
    band,
    low: bk.starts.map((a, b) => reduceBucket(band.low, a, end(b), 'min')),
    high: bk.starts.map((a, b) => reduceBucket(band.high, a, end(b), 'max')),
  }));
  let dataMax = 0;
  for (const r of reduced) for (const v of r) if (Number.isFinite(v) && v > dataMax) dataMax = v;
  for (const b of bands) for (const v of b.high) if (Number.isFinite(v) && v > dataMax) dataMax = v;
  const yMin = o.yMin ?? 0;
  const yMax = o.yMax ?? (dataMax > yMin ? dataMax * 1.05 : yMin + 1);
  const t0 = (o.t[from] as number) ?? 0;
  const t1 = (o.t[Math.max(from, to - 1)] as number) ?? t0;
  const span = Math.max(1, t1 - t0);
  const plot: LinePlot = {
    width,
    plotW,
    plotH,
    count: bk.count,
    t0,
    t1,
    span,
    yMin,
    x: (b: number): number => PAD.left + (bk.count <= 1 ? 0 : (b / (bk.count - 1)) * plotW),
    xT: (ms: number): number => PAD.left + ((ms - t0) / span) * plotW,
    y: (v: number): number =>
      PAD.top + plotH - ((Math.min(yMax, Math.max(yMin, v)) - yMin) / (yMax - yMin)) * plotH,
  };
  const parts = svgFrame(
    { title: o.title, width, height, left: PAD.left, right: PAD.right },
    niceTicks(yMin, yMax),
    plot.y,
    fmt,
  );
  parts.push(...timeAxis(plot, o.yLabel));
  // Bands under the lines.
  for (const b of bands) parts.push(...bandPolygon(plot, b));
  o.series.forEach((s, si) => {
    parts.push(...seriesShapes(plot, s, reduced[si] as number[]));
  });
  const shown = (o.events ?? []).filter((e) => e.t >= t0 && e.t <= t1);
  parts.push(...eventLines(plot, shown));
  parts.push(`<text x="${PAD.left}" y="18" class="title">${escapeHtml(o.title)}</text>`);
  parts.push('</svg>');
  const id = o.id ? ` id="${escapeHtml(o.id)}"` : '';
  return `<figure class="chart"${id}>${parts.join('')}<figcaption>${lineLegend(o, shown)}</figcaption></figure>`;
}

/** Dotted vertical markers, one per event, with the event's text on hover. */
function eventLines(p: LinePlot, events: readonly ChartEvent[]): string[] {
  return events.map((e) => {
    const xx = p.xT(e.t).toFixed(1);
    return `<line class="event" x1="${xx}" y1="${PAD.top}" x2="${xx}" y2="${PAD.top + p.plotH}" stroke="${e.color ?? '#555'}" stroke-width="1" stroke-dasharray="2 3"><title>${escapeHtml(e.label)}</title></line>`;
  });
}

/** Geometry of one line chart: pixel positions of buckets, times and values. */
interface LinePlot {
  width: number;
  plotW: number;
  plotH: number;
  /** Buckets across the plot. */
  count: number;
  t0: number;
  t1: number;
  span: number;
  yMin: number;
  x: (bucket: number) => number;
  xT: (ms: number) => number;
  y: (value: number) => number;
}

/** Approximate width of a tick label (11 px system font; digits and ':' are about 6.5 px). */
const TICK_CHAR_PX = 7;

/**
 * Ticks on round UTC times with their labels, the x axis, the dates the axis covers, and the y
 * label. A label that would run past either edge of the chart is anchored at that edge instead.
 */
function timeAxis(p: LinePlot, yLabel: string | undefined): string[] {
  const parts: string[] = [];
  const base = PAD.top + p.plotH;
  for (const tick of timeTicks(p.t0, p.t1, Math.floor(p.plotW / 90))) {
    const x = p.xT(tick.ms);
    const xx = x.toFixed(1);
    const half = (tick.label.length * TICK_CHAR_PX) / 2;
    const [anchor, lx] =
      x + half > p.width - 2 ? ['end', p.width - 2] : x - half < 2 ? ['start', 2] : ['middle', x];
    parts.push(`<line x1="${xx}" y1="${base}" x2="${xx}" y2="${base + 4}" stroke="#888"/>`);
    parts.push(
      `<text class="tick xtick" data-ms="${tick.ms}" x="${lx.toFixed(1)}" y="${base + 16}" text-anchor="${anchor}">${tick.label}</text>`,
    );
  }
  parts.push(`<line x1="${PAD.left}" y1="${base}" x2="${p.width - PAD.right}" y2="${base}" stroke="#888"/>`);
  parts.push(
    `<text x="${p.width - PAD.right}" y="${base + 32}" text-anchor="end" class="tick">UTC · ${dateRange(p.t0, p.t1)}</text>`,
  );
  if (yLabel)
    parts.push(
      `<text x="14" y="${PAD.top + p.plotH / 2}" transform="rotate(-90 14 ${PAD.top + p.plotH / 2})" text-anchor="middle" class="tick">${escapeHtml(yLabel)}</text>`,
    );
  return parts;
}

function bandPolygon(
  p: LinePlot,
  {
    band,
    low,
    high,
  }: { band: NonNullable<LineChartOptions['bands']>[number]; low: number[]; high: number[] },
): string[] {
  const upper: string[] = [];
  const lower: string[] = [];
  for (let b = 0; b < p.count; b++) {
    const lo = low[b] as number;
    const hi = high[b] as number;
    if (!Number.isFinite(lo) || !Number.isFinite(hi)) continue;
    upper.push(`${p.x(b).toFixed(1)},${p.y(hi).toFixed(1)}`);
    lower.unshift(`${p.x(b).toFixed(1)},${p.y(lo).toFixed(1)}`);
  }
  if (upper.length <= 1) return [];
  return [
    `<polygon points="${[...upper, ...lower].join(' ')}" fill="${band.color}" fill-opacity="${band.opacity ?? 0.25}" stroke="none"><title>${escapeHtml(band.name)}</title></polygon>`,
  ];
}

/** One series: a polyline per unbroken run of buckets (stepped or filled as its kind says). */
function seriesShapes(p: LinePlot, s: LineChartOptions['series'][number], r: number[]): string[] {
  const parts: string[] = [];
  for (const seg of segments(r)) {
    const pts: string[] = [];
    for (const b of seg) {
      const v = r[b] as number;
      if (s.kind === 'step' && pts.length > 0)
        pts.push(`${p.x(b).toFixed(1)},${pts[pts.length - 1]?.split(',')[1]}`);
      pts.push(`${p.x(b).toFixed(1)},${p.y(v).toFixed(1)}`);
    }
    if (s.kind === 'area' && seg.length > 0) {
      const first = seg[0] as number;
      const last = seg[seg.length - 1] as number;
      parts.push(
        `<polygon points="${p.x(first).toFixed(1)},${p.y(p.yMin).toFixed(1)} ${pts.join(' ')} ${p.x(last).toFixed(1)},${p.y(p.yMin).toFixed(1)}" fill="${s.color}" fill-opacity="0.35" stroke="none"/>`,
      );
    }
    parts.push(
      `<polyline class="series" data-series="${escapeHtml(s.name)}" points="${pts.join(' ')}" fill="none" stroke="${s.color}" stroke-width="${s.width ?? 2}"${dashOf(s)} stroke-linejoin="round"><title>${escapeHtml(s.name)}</title></polyline>`,
    );
  }
  return parts;
}

function dashOf(s: ChartSeries): string {
  const dash = s.dash ?? (s.dashed ? '6 4' : undefined);
  return dash ? ` stroke-dasharray="${dash}"` : '';
}

/** A legend key drawn as the series is: a filled block for an area, else a short stroke of its width and dash. */
function seriesKey(s: ChartSeries): string {
  if (s.kind === 'area')
    return `<span class="key"><i style="background:${s.color};opacity:.6"></i>${escapeHtml(s.name)}</span>`;
  const width = Math.max(2, Math.min(6, s.width ?? 2));
  const dash = s.dash !== undefined || s.dashed ? ' stroke-dasharray="4 3"' : '';
  return `<span class="key"><svg width="22" height="8" aria-hidden="true"><line x1="0" y1="4" x2="22" y2="4" stroke="${s.color}" stroke-width="${width}"${dash}/></svg>${escapeHtml(s.name)}</span>`;
}

/** Series, bands, and one key per kind of event marker drawn (a dotted vertical stroke). */
function lineLegend(o: LineChartOptions, events: readonly ChartEvent[]): string {
  const kinds = new Map<string, string>();
  for (const e of events)
    if (e.kind !== undefined && !kinds.has(e.kind)) kinds.set(e.kind, e.color ?? '#555');
  return [
    ...o.series.map(seriesKey),
    ...(o.bands ?? []).map(
      (b) =>
        `<span class="key"><i style="background:${b.color};opacity:${b.opacity ?? 0.25}"></i>${escapeHtml(b.name)}</span>`,
    ),
    ...[...kinds].map(
      ([kind, color]) =>
        `<span class="key event-key"><i class="marker" style="border-color:${color}"></i>${escapeHtml(kind)}</span>`,
    ),
  ].join('');
}

export interface ScatterPoint {
  x: number;
  y: number;
  /** Shown on hover; drawn beside the point when `tag` is set. */
  label: string;
  color: string;
  tag?: string;
  radius?: number;
}

export interface ScatterLine {
  name: string;
  color: string;
  points: readonly { x: number; y: number }[];
  dashed?: boolean;
}

export interface ScatterOptions {
  title: string;
  xLabel: string;
  yLabel: string;
  points: readonly ScatterPoint[];
  lines?: readonly ScatterLine[];
  /** A shaded target zone: x <= xMax and y <= yMax (e.g. "at most 1.05× the cost, 0.25× the shortfall"). */
  region?: { xMax: number; yMax: number; label: string; color: string };
  /** Legend entries for the point colours. */
  legend?: readonly { name: string; color: string }[];
  width?: number;
  height?: number;
  id?: string;
}

/** Geometry of one scatter chart: the data ranges and the pixel mapping. */
interface ScatterPlot {
  width: number;
  height: number;
  pad: { left: number; right: number; top: number; bottom: number };
  plotW: number;
  plotH: number;
  x0: number;
  x1: number;
  y0: number;
  y1: number;
  X: (v: number) => number;
  Y: (v: number) => number;
}

/** Axis ranges covering every point, line and the target zone, with a margin; y starts at zero. */
function scatterPlot(o: ScatterOptions): ScatterPlot {
  const width = o.width ?? 600;
  const height = o.height ?? 420;
  const pad = { left: 60, right: 20, top: 30, bottom: 48 };
  const plotW = width - pad.left - pad.right;
  const plotH = height - pad.top - pad.bottom;
  const xs = [...o.points.map((p) => p.x), ...(o.lines ?? []).flatMap((l) => l.points.map((p) => p.x))];
  const ys = [...o.points.map((p) => p.y), ...(o.lines ?? []).flatMap((l) => l.points.map((p) => p.y))];
  if (o.region) {
    xs.push(o.region.xMax);
    ys.push(o.region.yMax);
  }
  const range = (v: number[], zero: boolean): [number, number] => {
    const f = v.filter((x) => Number.isFinite(x));
    if (f.length === 0) return [0, 1];
    let lo = zero ? 0 : Math.min(...f);
    let hi = Math.max(...f);
    if (!(hi > lo)) [lo, hi] = [lo - 0.5, hi + 0.5];
    const m = (hi - lo) * 0.06;
    return [zero ? lo : lo - m, hi + m];
  };
  const [x0, x1] = range(xs, false);
  const [y0, y1] = range(ys, true);
  return {
    width,
    height,
    pad,
    plotW,
    plotH,
    x0,
    x1,
    y0,
    y1,
    X: (v) => pad.left + ((v - x0) / (x1 - x0)) * plotW,
    Y: (v) => pad.top + plotH - ((Math.min(y1, Math.max(y0, v)) - y0) / (y1 - y0)) * plotH,
  };
}

/** Vertical grid and x labels, the x axis, and both axis titles. */
function scatterAxes(p: ScatterPlot, o: ScatterOptions): string[] {
  const { pad, plotW, plotH } = p;
  const parts: string[] = [];
  for (const v of niceTicks(p.x0, p.x1)) {
    const xx = p.X(v).toFixed(1);
    parts.push(`<line x1="${xx}" y1="${pad.top}" x2="${xx}" y2="${pad.top + plotH}" stroke="#f0f0f0"/>`);
    parts.push(`<text x="${xx}" y="${pad.top + plotH + 16}" text-anchor="middle" class="tick">${v}</text>`);
  }
  parts.push(
    `<line x1="${pad.left}" y1="${pad.top + plotH}" x2="${p.width - pad.right}" y2="${pad.top + plotH}" stroke="#888"/>`,
  );
  parts.push(
    `<text x="${pad.left + plotW / 2}" y="${p.height - 8}" text-anchor="middle" class="tick">${escapeHtml(o.xLabel)}</text>`,
  );
  parts.push(
    `<text x="14" y="${pad.top + plotH / 2}" transform="rotate(-90 14 ${pad.top + plotH / 2})" text-anchor="middle" class="tick">${escapeHtml(o.yLabel)}</text>`,
  );
  return parts;
}

/** The shaded target zone from the axes' origin to (xMax, yMax), labelled. */
function targetRegion(p: ScatterPlot, region: NonNullable<ScatterOptions['region']>): string[] {
  const rx = p.X(p.x0);
  const rw = Math.max(0, p.X(Math.min(region.xMax, p.x1)) - rx);
  const ry = p.Y(Math.min(region.yMax, p.y1));
  const rh = Math.max(0, p.Y(p.y0) - ry);
  return [
    `<rect x="${rx.toFixed(1)}" y="${ry.toFixed(1)}" width="${rw.toFixed(1)}" height="${rh.toFixed(1)}" fill="${region.color}" fill-opacity="0.35" stroke="${region.color}"><title>${escapeHtml(region.label)}</title></rect>`,
    `<text x="${(rx + 6).toFixed(1)}" y="${(ry + 14).toFixed(1)}" class="tick">${escapeHtml(region.label)}</text>`,
  ];
}

/** Connecting lines, then the points on top (with their tags). */
function scatterMarks(p: ScatterPlot, o: ScatterOptions): string[] {
  const parts: string[] = [];
  for (const l of o.lines ?? []) {
    const pts = l.points
      .filter((q) => Number.isFinite(q.x) && Number.isFinite(q.y))
      .map((q) => `${p.X(q.x).toFixed(1)},${p.Y(q.y).toFixed(1)}`);
    if (pts.length > 1)
      parts.push(
        `<polyline points="${pts.join(' ')}" fill="none" stroke="${l.color}" stroke-width="2"${l.dashed ? ' stroke-dasharray="6 4"' : ''}><title>${escapeHtml(l.name)}</title></polyline>`,
      );
  }
  for (const q of o.points) {
    if (!Number.isFinite(q.x) || !Number.isFinite(q.y)) continue;
    const cx = p.X(q.x).toFixed(1);
    const cy = p.Y(q.y).toFixed(1);
    parts.push(
      `<circle cx="${cx}" cy="${cy}" r="${q.radius ?? 5}" fill="${q.color}"><title>${escapeHtml(q.label)}</title></circle>`,
    );
    if (q.tag)
      parts.push(
        `<text x="${(Number(cx) + 8).toFixed(1)}" y="${(Number(cy) - 6).toFixed(1)}" class="tick">${escapeHtml(q.tag)}</text>`,
      );
  }
  return parts;
}

function scatterLegend(o: ScatterOptions): string {
  return [
    ...(o.legend ?? []).map(
      (k) => `<span class="key"><i style="background:${k.color}"></i>${escapeHtml(k.name)}</span>`,
    ),
    ...(o.lines ?? []).map(
      (l) =>
        `<span class="key"><i style="background:${l.color}${l.dashed ? ';opacity:.6' : ''}"></i>${escapeHtml(l.name)}</span>`,
    ),
  ].join('');
}

/** Points (and optional connecting lines and a target zone) on linear axes, as an SVG figure. */
export function scatterChart(o: ScatterOptions): string {
  const p = scatterPlot(o);
  const parts = [
    ...svgFrame(
      { title: o.title, width: p.width, height: p.height, left: p.pad.left, right: p.pad.right },
      niceTicks(p.y0, p.y1),
      p.Y,
      String,
    ),
    ...scatterAxes(p, o),
    ...(o.region ? targetRegion(p, o.region) : []),
    ...scatterMarks(p, o),
    `<text x="${p.pad.left}" y="18" class="title">${escapeHtml(o.title)}</text>`,
    '</svg>',
  ];
  const id = o.id ? ` id="${escapeHtml(o.id)}"` : '';
  return `<figure class="chart"${id}>${parts.join('')}<figcaption>${scatterLegend(o)}</figcaption></figure>`;
}

/** Runs of consecutive finite values (gaps break a line). */
function segments(values: readonly number[]): number[][] {
  const out: number[][] = [];
  let cur: number[] = [];
  values.forEach((v, i) => {
    if (Number.isFinite(v)) cur.push(i);
    else if (cur.length > 0) {
      out.push(cur);
      cur = [];
    }
  });
  if (cur.length > 0) out.push(cur);
  return out;
}

/** A vertical timeline of events, oldest first. */
export function timeline(events: readonly ChartEvent[], limit = 200): string {
  if (events.length === 0) return '<p class="muted">No events.</p>';
  const sorted = [...events].sort((a, b) => a.t - b.t);
  const shown = sorted.slice(0, limit);
  const more = sorted.length > limit ? `<p class="muted">…and ${sorted.length - limit} more.</p>` : '';
  const items = shown
    .map(
      (e) =>
        `<li><time>${utcMinute(e.t)}</time><i style="background:${e.color ?? '#555'}"></i>${escapeHtml(e.label)}</li>`,
    )
    .join('');
  return `<ol class="timeline">${items}</ol>${more}`;
}

/** A plain table; cells are text (escaped). `best` marks one cell per column in bold. */
export function table(headers: readonly string[], rows: readonly (readonly string[])[]): string {
  const head = headers.map((h) => `<th>${escapeHtml(h)}</th>`).join('');
  const body = rows.map((r) => `<tr>${r.map((c) => `<td>${escapeHtml(c)}</td>`).join('')}</tr>`).join('');
  return `<table><thead><tr>${head}</tr></thead><tbody>${body}</tbody></table>`;
}

const STYLE = `
body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:#1d1d1f;margin:24px auto;max-width:1240px;padding:0 16px;background:#fafafa}
h1{font-size:22px;margin:0 0 4px}h2{font-size:17px;margin:28px 0 8px}
.muted{color:#6e6e73}.chart{margin:12px 0;background:#fff;border:1px solid #e5e5e5;border-radius:6px;padding:6px}
.chart svg{display:block;max-width:100%;height:auto}.tick{font-size:11px;fill:#6e6e73}.title{font-size:13px;font-weight:600;fill:#1d1d1f}
figcaption{padding:4px 8px}.key{display:inline-flex;align-items:center;margin-right:16px;font-size:12px}
.key i{display:inline-block;width:14px;height:4px;margin-right:6px;border-radius:2px}.key svg{margin-right:6px}
.key i.marker{width:0;height:14px;border-radius:0;border-left:2px dotted;margin:0 8px 0 4px}
table{border-collapse:collapse;background:#fff;margin:8px 0}th,td{border:1px solid #e5e5e5;padding:4px 10px;text-align:right}
th:first-child,td:first-child{text-align:left}th{background:#f2f2f2}
.timeline{list-style:none;padding:0;margin:0;max-height:320px;overflow:auto;background:#fff;border:1px solid #e5e5e5;border-radius:6px}
.timeline li{padding:3px 10px;border-bottom:1px solid #f0f0f0;display:flex;align-items:center;gap:8px;font-size:13px}
.timeline time{font-variant-numeric:tabular-nums;color:#6e6e73}.timeline i{width:8px;height:8px;border-radius:50%;display:inline-block}
.summary{display:flex;gap:12px;flex-wrap:wrap}.card{background:#fff;border:1px solid #e5e5e5;border-radius:6px;padding:8px 14px}
.card b{display:block;font-size:20px}
`;

/** A complete, self-contained HTML document. */
export function page(title: string, body: string): string {
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1"><title>${escapeHtml(title)}</title><style>${STYLE}</style></head><body>${body}</body></html>\n`;
}
