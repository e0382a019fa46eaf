import type { PolicyName } from '../backtest/policy';
import type { BacktestResult, PolicyRun } from '../backtest/runner';
import { type ChartEvent, type ChartSeries, escapeHtml, lineChart, page, table, timeline } from './chart';
import { busiestDays, type Day, dailyCount, dailyEnvelope, utcDays } from './daily';

/** One colour per policy (and for demand, the band, the shadow pool, the weights). */
export const COLORS = {
  demand: '#1f3a93',
  reactive: '#e0301e',
  'hourly-predictive': '#ff8c00',
  shadowscale: '#1a9e3f',
  'shadowscale-fixed': '#7cb342',
  oracle: '#8e44ad',
  band: '#1a9e3f',
  primaryMax: '#555555',
  shadow: '#00a0c8',
  weight: '#d4148c',
} as const satisfies Record<PolicyName | string, string>;

/** Events of a run: traffic moved onto the shadow pool, and moved home. */
export function trafficEvents(run: PolicyRun): ChartEvent[] {
  const h = run.history;
  const out: ChartEvent[] = [];
  let prev = 0;
  for (let i = 0; i < h.length; i++) {
    const share = h.shadowShare[i] as number;
    if (prev <= 1e-9 && share > 1e-9)
      out.push({
        t: h.t[i] as number,
        label: `${run.name}: traffic onto the shadow pool`,
        color: COLORS.weight,
        kind: 'traffic onto the shadow pool',
      });
    else if (prev > 1e-9 && share <= 1e-9)
      out.push({
        t: h.t[i] as number,
        label: `${run.name}: traffic home to the primary`,
        color: COLORS.shadow,
        kind: 'traffic home to the primary',
      });
    prev = share;
  }
  return out;
}

function readyTotal(run: PolicyRun): Float64Array {
  const h = run.history;
  const out = new Float64Array(h.length);
  for (let i = 0; i < h.length; i++) out[i] = (h.readyPrimary[i] as number) + (h.readyShadow[i] as number);
  return out;
}

function fmt(x: number, digits = 1): string {
  if (!Number.isFinite(x)) return '—';
  return x.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits });
}

/** The metrics table of a backtest (one row per policy). */
export function metricsTable(result: BacktestResult): string {
  const headers = [
    'policy',
    'θU %',
    'θO %',
    'τU %',
    'τO %',
    'instability %',
    'overload min',
    'unserved %',
    'unit-hours',
    'cost',
    'actions',
  ];
  const rows = result.runs.map((r) => {
    const m = r.metrics;
    return [
      r.name,
      fmt(m.theta_u, 2),
      fmt(m.theta_o, 2),
      fmt(m.tau_u, 2),
      fmt(m.tau_o, 2),
      fmt(m.instability, 1),
      fmt(m.overload_minutes, 0),
      fmt(m.unserved_fraction * 100, 3),
      fmt(m.unit_hours, 1),
      fmt(m.cost, 2),
      String(m.actions),
    ];
  });
  return table(headers, rows);
}

/** Each policy against reactive and the oracle: the ratios the targets are stated in. */
export function ratiosTable(result: BacktestResult): string {
  const reactive = result.runs.find((r) => r.name === 'reactive')?.metrics;
  const oracle = result.runs.find((r) => r.name === 'oracle')?.metrics;
  if (!reactive && !oracle) return '';
  const ratio = (a: number, b: number | undefined): string =>
    b === undefined ? '—' : b > 0 ? `${fmt(a / b, 2)}×` : a > 0 ? '∞' : '—';
  const rows = result.runs.map((r) => [
    r.name,
    ratio(r.metrics.tau_u, reactive?.tau_u),
    ratio(r.metrics.overload_minutes, reactive?.overload_minutes),
    ratio(r.metrics.unit_hours, reactive?.unit_hours),
    ratio(r.metrics.unit_hours, oracle?.unit_hours),
  ]);
  return table(
    [
      'policy',
      'τU vs reactive',
      'overload min vs reactive',
      'unit-hours vs reactive',
      'unit-hours vs oracle',
    ],
    rows,
  );
}

/**
 * Stroke width of the k-th of n policy lines: the first widest, each later one narrower and on
 * top, so policies that hold the same capacity (all at the primary's cap, say) stay visible as
 * nested rims instead of the last one hiding the others.
 */
function nestedWidth(k: number, n: number): number {
  return 2 + 1.5 * (n - 1 - k);
}

/** A run's steps with demand above 100 % of ready capacity (the overload of its metrics). */
function overloaded(run: PolicyRun): (i: number) => boolean {
  const h = run.history;
  return (i) => (h.unserved[i] as number) > 1e-9 * Math.max(1, h.demand[i] as number);
}

/**
 * The days to zoom into: most reactive overload first (where scaling after the fact hurt), then
 * the highest demand peak; at most `count`, in time order.
 */
export function busiestBacktestDays(result: BacktestResult, count = 3): Day[] {
  const first = result.runs[0];
  if (!first) return [];
  const days = utcDays(first.history.t);
  const reactive = result.runs.find((r) => r.name === 'reactive');
  const overload = reactive ? dailyCount(days, overloaded(reactive)) : new Float64Array(days.length);
  const peak = dailyEnvelope(days, result.demandUnits).max;
  return busiestDays(days, (_, k) => [overload[k] as number, peak[k] as number], count);
}

interface ChartRange {
  from?: number;
  to?: number;
  suffix?: string;
}

/** Shadowscale's traffic moves within the range, while they stay few enough to read. */
function rangeEvents(result: BacktestResult, range: ChartRange): ChartEvent[] {
  const ss = result.runs.find((r) => r.name === 'shadowscale');
  const t = result.runs[0]?.history.t ?? [];
  if (!ss || t.length === 0) return [];
  const t0 = t[range.from ?? 0] as number;
  const t1 = t[(range.to ?? t.length) - 1] as number;
  const inRange = trafficEvents(ss).filter((e) => e.t >= t0 && e.t <= t1);
  return inRange.length <= 40 ? inRange : [];
}

/** Demand and each policy's ready units (and shadowscale's forecast band) over the range. */
function capacityChart(result: BacktestResult, range: ChartRange, events: ChartEvent[]): string {
  const t = (result.runs[0] as PolicyRun).history.t;
  const series: ChartSeries[] = [
    ...result.runs.map((r, k) => ({
      name: `${r.name}: ready units`,
      color: COLORS[r.name],
      values: readyTotal(r),
      kind: 'step' as const,
      reduce: 'min' as const,
      width: nestedWidth(k, result.runs.length),
    })),
    { name: 'demand (units at target)', color: COLORS.demand, values: result.demandUnits, width: 2.5 },
  ];
  if (result.limits.primaryMax < 10_000) {
    series.push({
      name: `primary max (${result.limits.primaryMax})`,
      color: COLORS.primaryMax,
      values: new Float64Array(t.length).fill(result.limits.primaryMax),
      dashed: true,
      width: 1,
    });
  }
  const ss = result.runs.find((r) => r.name === 'shadowscale');
  const bands = ss?.band
    ? [
        {
          name: 'shadowscale forecast band (p50–planning quantile)',
          color: COLORS.band,
          low: ss.band.low,
          high: ss.band.high,
        },
      ]
    : [];
  return lineChart({
    id: `capacity${range.suffix ?? ''}`,
    title: 'Demand and ready capacity per policy (units at target utilisation)',
    t,
    series,
    bands,
    events,
    yLabel: 'units',
    height: 360,
    from: range.from,
    to: range.to,
  });
}

/** The shadow pool's ready units and its traffic weight, for the runs that used one. */
function shadowCharts(result: BacktestResult, range: ChartRange, events: ChartEvent[]): string[] {
  const withShadow = result.runs.filter((r) => r.history.readyShadow.some((v) => v > 0));
  if (withShadow.length === 0 && result.limits.shadowMax <= 0) return [];
  const runs = withShadow.length > 0 ? withShadow : result.runs.filter((r) => r.name === 'shadowscale');
  const t = (result.runs[0] as PolicyRun).history.t;
  const suffix = range.suffix ?? '';
  const shared = { t, events, from: range.from, to: range.to };
  return [
    lineChart({
      ...shared,
      id: `shadow${suffix}`,
      title: 'Shadow pool: ready units',
      series: runs.map((r) => ({
        name: `${r.name}: shadow ready units`,
        color: r.name === 'shadowscale' ? COLORS.shadow : COLORS[r.name],
        values: r.history.readyShadow,
        kind: 'area' as const,
      })),
      yLabel: 'units',
      height: 220,
    }),
    lineChart({
      ...shared,
      id: `weights${suffix}`,
      title: 'Traffic weight on the shadow pool (%)',
      series: runs.map((r) => ({
        name: `${r.name}: shadow weight %`,
        color: r.name === 'shadowscale' ? COLORS.weight : COLORS[r.name],
        values: Float64Array.from(r.history.shadowShare, (v) => v * 100),
        kind: 'step' as const,
      })),
      yMin: 0,
      yMax: 100,
      yLabel: '%',
      height: 220,
    }),
  ];
}

/** Charts of one backtest over [from, to): demand vs ready capacity, shadow pool, weights. */
export function backtestCharts(result: BacktestResult, range: ChartRange = {}): string {
  if (!result.runs[0]) return '';
  const events = rangeEvents(result, range);
  return [capacityChart(result, range, events), ...shadowCharts(result, range, events)].join('');
}

/**
 * The whole trace one point per UTC day, readable over months: the demand's daily range beside
 * each policy's daily peak of ready capacity, and each policy's overloaded minutes per day.
 */
export function dailyOverviewCharts(result: BacktestResult): string {
  const first = result.runs[0];
  if (!first) return '';
  const days = utcDays(first.history.t);
  const dayT = days.map((d) => d.dayMs);
  const demand = dailyEnvelope(days, result.demandUnits);
  const stepMinutes = result.intervalMs / 60_000;
  const envelope = lineChart({
    id: 'daily-capacity',
    title: 'Per day: demand range (band) and each policy’s peak ready capacity (units at target)',
    t: dayT,
    bands: [{ name: 'demand, daily min–max', color: COLORS.demand, low: demand.min, high: demand.max }],
    series: [
      ...result.runs.map((r, k) => ({
        name: `${r.name}: daily peak ready`,
        color: COLORS[r.name],
        values: dailyEnvelope(days, readyTotal(r)).max,
        kind: 'step' as const,
        width: nestedWidth(k, result.runs.length),
      })),
      { name: 'demand, daily peak', color: COLORS.demand, values: demand.max, width: 1.5 },
    ],
    yLabel: 'units',
    height: 320,
  });
  const overload = lineChart({
    id: 'daily-overload',
    title: 'Per day: minutes with demand above 100 % of ready capacity',
    t: dayT,
    series: result.runs.map((r, k) => ({
      name: `${r.name}: overloaded min/day`,
      color: COLORS[r.name],
      values: Float64Array.from(dailyCount(days, overloaded(r)), (n) => n * stepMinutes),
      kind: 'step' as const,
      width: nestedWidth(k, result.runs.length),
    })),
    yLabel: 'minutes',
    height: 260,
  });
  return envelope + overload;
}

/** The busiest days, each zoomed to its 24 hours. */
function busiestDaysSection(result: BacktestResult): string {
  return busiestBacktestDays(result)
    .map((d, k) => {
      const date = new Date(d.dayMs).toISOString().slice(0, 10);
      return `<h3>${date}</h3>${backtestCharts(result, { from: d.from, to: d.to, suffix: `-day${k + 1}` })}`;
    })
    .join('\n');
}

function summaryCards(result: BacktestResult): string {
  return result.runs
    .map(
      (r) =>
        `<div class="card"><span style="color:${COLORS[r.name]}">${escapeHtml(r.name)}</span><b>${fmt(r.metrics.tau_u, 1)}% τU</b>${fmt(r.metrics.unit_hours, 0)} unit-h · ${fmt(r.metrics.overload_minutes, 0)} overload min</div>`,
    )
    .join('');
}

function setupTable(result: BacktestResult, meta: Record<string, string>): string {
  const first = result.runs[0];
  const days = first ? (first.history.length * result.intervalMs) / 86_400_000 : 0;
  const rows = Object.entries({
    trace: result.trace,
    steps: `${first?.history.length ?? 0} × ${result.intervalMs / 1000} s (${fmt(days, 1)} days)`,
    'unit capacity': `${result.unitCapacity.toPrecision(4)} (trace unit, at 100%)`,
    'target utilisation': String(result.targetUtilization),
    limits: `primary ${result.limits.primaryMin}..${result.limits.primaryMax}, shadow max ${result.limits.shadowMax}`,
    ...meta,
  })
    .map(([k, v]) => `<tr><td>${escapeHtml(k)}</td><td style="text-align:left">${escapeHtml(v)}</td></tr>`)
    .join('');
  return `<table><tbody>${rows}</tbody></table>`;
}

/** Up to this many days, the whole trace is drawn step by step; longer traces get the daily overview. */
const DETAILED_DAYS = 3;

/** The whole backtest report: a self-contained HTML page. */
export function renderBacktestReport(result: BacktestResult, meta: Record<string, string> = {}): string {
  const first = result.runs[0];
  const dayCount = first ? utcDays(first.history.t).length : 0;
  const events = result.runs.filter((r) => r.name === 'shadowscale').flatMap(trafficEvents);
  const body = [
    `<h1>Backtest: ${escapeHtml(result.trace)}</h1>`,
    '<p class="muted">Every policy replays the same demand under the same physics (provisioning lag, metric delay, drain). τU: share of time below the demand at target utilisation; overload: demand above 100% of ready capacity. Times are UTC.</p>',
    `<div class="summary">${summaryCards(result)}</div>`,
    dayCount > DETAILED_DAYS
      ? `<h2>Whole trace, per day (${dayCount} days)</h2>${dailyOverviewCharts(result)}`
      : `<h2>Whole trace</h2>${backtestCharts(result)}`,
    '<h2>Busiest days</h2>',
    '<p class="muted">The days with the most overloaded minutes under reactive target tracking (then the highest demand peaks), step by step.</p>',
    busiestDaysSection(result),
    '<h2>Metrics</h2>',
    metricsTable(result),
    ratiosTable(result),
    '<p class="muted">θU/θO: mean shortfall/excess in % of demand; τU/τO: % of time under/over-provisioned; instability: % of steps where supply and demand move in different directions (SPEC RG, Herbst et al.).</p>',
    '<h2>Shadow pool timeline</h2>',
    timeline(events),
    `<h2>Setup</h2>${setupTable(result, meta)}`,
  ].join('\n');
  return page(`Shadowscale backtest — ${result.trace}`, body);
}
