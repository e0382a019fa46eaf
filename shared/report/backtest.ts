import type { PolicyName } from '../backtest/policy';
import type { BacktestResult, PolicyRun } from '../backtest/runner';
import { type ChartEvent, type ChartSeries, escapeHtml, lineChart, page, table, timeline } from './chart';

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
      });
    else if (prev > 1e-9 && share <= 1e-9)
      out.push({
        t: h.t[i] as number,
        label: `${run.name}: traffic home to the primary`,
        color: COLORS.shadow,
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

/** Index range of the 24 hours around the highest demand (the busiest day), for a zoomed view. */
export function busiestWindow(result: BacktestResult): { from: number; to: number } {
  const d = result.demandUnits;
  let peak = 0;
  for (let i = 1; i < d.length; i++) if ((d[i] as number) > (d[peak] as number)) peak = i;
  const half = Math.round(43_200_000 / result.intervalMs);
  const from = Math.max(0, Math.min(peak - half, d.length - 2 * half));
  return { from, to: Math.min(d.length, from + 2 * half) };
}

/** Charts of one backtest over [from, to): demand vs ready capacity, shadow pool, weights. */
export function backtestCharts(
  result: BacktestResult,
  range: { from?: number; to?: number; suffix?: string } = {},
): string {
  const first = result.runs[0];
  if (!first) return '';
  const t = first.history.t;
  const suffix = range.suffix ?? '';
  const series: ChartSeries[] = [
    { name: 'demand (units at target)', color: COLORS.demand, values: result.demandUnits, width: 2.5 },
    ...result.runs.map((r) => ({
      name: `${r.name}: ready units`,
      color: COLORS[r.name],
      values: readyTotal(r),
      kind: 'step' as const,
      reduce: 'min' as const,
    })),
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
  const bands =
    ss?.band !== undefined
      ? [
          {
            name: 'shadowscale forecast band (p50–planning quantile)',
            color: COLORS.band,
            low: ss.band.low,
            high: ss.band.high,
          },
        ]
      : [];
  // Markers only for shadowscale's moves, and only while they stay readable.
  const ssEvents = ss ? trafficEvents(ss) : [];
  const t0 = (t[range.from ?? 0] as number) ?? 0;
  const t1 = (t[(range.to ?? t.length) - 1] as number) ?? t0;
  const inRange = ssEvents.filter((e) => e.t >= t0 && e.t <= t1);
  const events = inRange.length <= 40 ? inRange : [];
  const parts = [
    lineChart({
      id: `capacity${suffix}`,
      title: 'Demand and ready capacity per policy (units at target utilisation)',
      t,
      series,
      bands,
      events,
      yLabel: 'units',
      height: 360,
      from: range.from,
      to: range.to,
    }),
  ];
  const withShadow = result.runs.filter((r) => r.history.readyShadow.some((v) => v > 0));
  if (withShadow.length > 0 || result.limits.shadowMax > 0) {
    const shadowRuns =
      withShadow.length > 0 ? withShadow : result.runs.filter((r) => r.name === 'shadowscale');
    parts.push(
      lineChart({
        id: `shadow${suffix}`,
        title: 'Shadow pool: ready units',
        t,
        series: shadowRuns.map((r) => ({
          name: `${r.name}: shadow ready units`,
          color: r.name === 'shadowscale' ? COLORS.shadow : COLORS[r.name],
          values: r.history.readyShadow,
          kind: 'area' as const,
        })),
        events,
        yLabel: 'units',
        height: 220,
        from: range.from,
        to: range.to,
      }),
    );
    parts.push(
      lineChart({
        id: `weights${suffix}`,
        title: 'Traffic weight on the shadow pool (%)',
        t,
        series: shadowRuns.map((r) => ({
          name: `${r.name}: shadow weight %`,
          color: r.name === 'shadowscale' ? COLORS.weight : COLORS[r.name],
          values: Float64Array.from(r.history.shadowShare, (v) => v * 100),
          kind: 'step' as const,
        })),
        events,
        yMin: 0,
        yMax: 100,
        yLabel: '%',
        height: 200,
        from: range.from,
        to: range.to,
      }),
    );
  }
  return parts.join('');
}

/** The whole backtest report: a self-contained HTML page. */
export function renderBacktestReport(result: BacktestResult, meta: Record<string, string> = {}): string {
  const first = result.runs[0];
  const days = first ? (first.history.length * result.intervalMs) / 86_400_000 : 0;
  const cards = result.runs
    .map(
      (r) =>
        `<div class="card"><span style="color:${COLORS[r.name]}">${escapeHtml(r.name)}</span><b>${fmt(r.metrics.tau_u, 1)}% τU</b>${fmt(r.metrics.unit_hours, 0)} unit-h · ${fmt(r.metrics.overload_minutes, 0)} overload min</div>`,
    )
    .join('');
  const zoom = busiestWindow(result);
  const events = result.runs.filter((r) => r.name === 'shadowscale').flatMap(trafficEvents);
  const metaRows = Object.entries({
    trace: result.trace,
    steps: `${first?.history.length ?? 0} × ${result.intervalMs / 1000} s (${fmt(days, 1)} days)`,
    'unit capacity': `${result.unitCapacity.toPrecision(4)} (trace unit, at 100%)`,
    'target utilisation': String(result.targetUtilization),
    limits: `primary ${result.limits.primaryMin}..${result.limits.primaryMax}, shadow max ${result.limits.shadowMax}`,
    ...meta,
  })
    .map(([k, v]) => `<tr><td>${escapeHtml(k)}</td><td style="text-align:left">${escapeHtml(v)}</td></tr>`)
    .join('');
  const body = [
    `<h1>Backtest: ${escapeHtml(result.trace)}</h1>`,
    '<p class="muted">Every policy replays the same demand under the same physics (provisioning lag, metric delay, drain). τU: share of time below the demand at target utilisation; overload: demand above 100% of ready capacity.</p>',
    `<div class="summary">${cards}</div>`,
    '<h2>Whole trace</h2>',
    backtestCharts(result),
    '<h2>Busiest day</h2>',
    backtestCharts(result, { ...zoom, suffix: '-zoom' }),
    '<h2>Metrics</h2>',
    metricsTable(result),
    ratiosTable(result),
    '<p class="muted">θU/θO: mean shortfall/excess in % of demand; τU/τO: % of time under/over-provisioned; instability: % of steps where supply and demand move in different directions (SPEC RG, Herbst et al.).</p>',
    '<h2>Shadow pool timeline</h2>',
    timeline(events),
    `<h2>Setup</h2><table><tbody>${metaRows}</tbody></table>`,
  ].join('\n');
  return page(`Shadowscale backtest — ${result.trace}`, body);
}
