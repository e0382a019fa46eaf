/**
 * What the dashboard's forecast widget shows for one workload (functions/forecast-widget): per
 * metric, what CloudWatch recorded, what the forecaster said one step before each point (the
 * first step of every stored forecast), the newest forecast with its interval and the planning
 * path pre-warm sizes against, and the most the primary serves at its largest size; above the
 * charts, the contention decision, the anomaly score and the forecast accuracy per horizon.
 *
 * Pure: the data comes in, an HTML string (inline SVG, no scripts, as CloudWatch custom widgets
 * require) goes out.
 */

import { planningPath } from '../planning/path';
import type { ContentionDecisionRecord } from '../ports/repositories';
import { HORIZON_BUCKETS } from '../profile/feedback';
import type { MetricPoint, Prediction } from '../schemas/series';
import type { Workload, WorkloadMetric, WorkloadProfile } from '../schemas/workload';
import { escapeHtml, lineChart, table } from './chart';
import { utcMinute } from './time-axis';

/** What CloudWatch returned for one metric over the range, or why there is nothing to draw. */
export type ActualSeries =
  | { kind: 'data'; points: readonly MetricPoint[] }
  | { kind: 'no-data' }
  | { kind: 'error'; message: string };

export interface MetricWidgetData {
  metric: WorkloadMetric;
  actual: ActualSeries;
  /** The newest stored forecast; undefined before the first forecaster run. */
  latest: Prediction | undefined;
  /** Stored forecasts generated within the range (any order). */
  history: readonly Prediction[];
}

export interface ForecastWidgetData {
  workload: Workload;
  profile: WorkloadProfile | undefined;
  decision: ContentionDecisionRecord | undefined;
  metrics: readonly MetricWidgetData[];
  /** The dashboard's time range (epoch ms). */
  fromMs: number;
  toMs: number;
  nowMs: number;
  /** Chart width in pixels (the widget's width). */
  width: number;
}

export const COLORS = {
  actual: '#1f6feb',
  stepAhead: '#8250df',
  forecast: '#d4a72c',
  band: '#d4a72c',
  planning: '#cf222e',
  ceiling: '#57606a',
  now: '#2da44e',
} as const;

/** Upper bound on grid points per chart (8 days at 1 minute is 11,520). */
const MAX_POINTS = 12_000;

const r3 = (x: number) => Number(x.toPrecision(3)).toString();
const pct = (x: number) => `${(x * 100).toFixed(0)} %`;

/** The sample grid of one metric's chart: the range, extended to the newest forecast's end. */
export function chartGrid(
  data: Pick<ForecastWidgetData, 'fromMs' | 'toMs'>,
  m: MetricWidgetData,
): { startMs: number; stepMs: number; count: number } {
  const latestEnd = m.latest ? m.latest.startMs + m.latest.point.length * m.latest.intervalMs : data.toMs;
  const endMs = Math.max(data.toMs, latestEnd);
  let stepMs = m.latest?.intervalMs ?? m.metric.periodSeconds * 1000;
  while ((endMs - data.fromMs) / stepMs > MAX_POINTS) stepMs *= 2;
  const startMs = Math.floor(data.fromMs / stepMs) * stepMs;
  return { startMs, stepMs, count: Math.max(1, Math.ceil((endMs - startMs) / stepMs)) };
}

function placer(grid: { startMs: number; stepMs: number; count: number }) {
  return (values: Float64Array, t: number, v: number, keep: 'max' | 'last' = 'max') => {
    const i = Math.floor((t - grid.startMs) / grid.stepMs);
    if (i < 0 || i >= grid.count) return;
    const old = values[i] as number;
    values[i] = keep === 'last' || !Number.isFinite(old) ? v : Math.max(old, v);
  };
}

/** The series of one metric's chart on its grid (NaN where nothing is known). */
export function metricSeries(data: Pick<ForecastWidgetData, 'fromMs' | 'toMs'>, m: MetricWidgetData) {
  const grid = chartGrid(data, m);
  const blank = () => new Float64Array(grid.count).fill(Number.NaN);
  const t = Float64Array.from({ length: grid.count }, (_, i) => grid.startMs + i * grid.stepMs);
  const actual = blank();
  const stepAhead = blank();
  const forecast = blank();
  const low = blank();
  const high = blank();
  const planning = blank();
  const put = placer(grid);
  if (m.actual.kind === 'data') for (const p of m.actual.points) put(actual, p.t, p.v);
  // Oldest first, so a later forecast of the same step wins.
  const history = [...m.history].sort((a, b) => a.generatedAt - b.generatedAt);
  for (const p of history) {
    const first = p.point[0];
    if (first !== undefined) put(stepAhead, p.startMs, first, 'last');
  }
  const latest = m.latest;
  let bandNames: [number, number] | undefined;
  if (latest) {
    const qs = [...latest.quantiles].sort((a, b) => a.q - b.q);
    const lo = qs[0];
    const hi = qs.length > 1 ? qs[qs.length - 1] : undefined;
    const path = planningPath(latest, m.metric);
    latest.point.forEach((v, i) => {
      const at = latest.startMs + i * latest.intervalMs;
      put(forecast, at, v, 'last');
      const plan = path[i];
      if (plan !== undefined) put(planning, at, plan, 'last');
      if (lo && hi) {
        put(low, at, lo.values[i] as number, 'last');
        put(high, at, hi.values[i] as number, 'last');
      }
    });
    if (lo && hi) bandNames = [lo.q, hi.q];
  }
  return { grid, t, actual, stepAhead, forecast, low, high, planning, bandNames };
}

function decisionCards(data: ForecastWidgetData): string {
  const { decision, workload } = data;
  const cards: string[] = [];
  const card = (label: string, value: string, title?: string) =>
    cards.push(
      `<div class="card"${title ? ` title="${escapeHtml(title)}"` : ''}><span>${escapeHtml(label)}</span><b>${escapeHtml(value)}</b></div>`,
    );
  if (!decision) {
    card('contention', 'not scored yet', 'no forecaster run has stored a decision for this workload');
  } else {
    card(
      'contention',
      decision.contended ? 'contended' : 'clear',
      `since ${utcMinute(decision.since)} UTC, as of ${utcMinute(decision.updatedAt)} UTC`,
    );
    card(
      'score',
      `${r3(decision.score)} / ${r3(workload.contention.threshold)}`,
      `predicted when the score reaches ${workload.contention.threshold}, cleared under ${workload.contention.clearThreshold}`,
    );
    if (decision.shortageAt !== undefined) card('shortage at', `${utcMinute(decision.shortageAt)} UTC`);
    if (decision.recommendedShadowUnits !== undefined)
      card('shadow units', String(decision.recommendedShadowUnits), 'recommended shadow pool size');
    card(
      'anomaly',
      decision.anomalyScore === undefined ? 'n/a' : r3(decision.anomalyScore),
      decision.anomalousMetrics
        ? `anomalous: ${decision.anomalousMetrics.join(', ')}`
        : 'no metric anomalous',
    );
    if (decision.nextRunAt !== undefined)
      card(
        'next forecast',
        `${utcMinute(decision.nextRunAt)} UTC`,
        'the adaptive cadence reads this workload again then',
      );
  }
  return `<div class="cards">${cards.join('')}</div>`;
}

function accuracyTable(data: ForecastWidgetData): string {
  const rows: string[][] = [];
  for (const m of data.metrics) {
    const acc = data.profile?.metrics?.[m.metric.name]?.accuracy;
    for (const b of HORIZON_BUCKETS) {
      const h = acc?.h[b.name];
      if (!h || h.n === 0) continue;
      rows.push([m.metric.name, b.name, String(h.n), pct(h.mae), r3(h.ratio), pct(h.c80), pct(h.c95)]);
    }
  }
  if (rows.length === 0) return '<p class="muted">No forecast scored against what happened yet.</p>';
  return table(
    ['metric', 'horizon', 'scored', 'error / level', 'error / promised', 'under q0.8', 'under q0.95'],
    rows,
  );
}

function metricChart(data: ForecastWidgetData, m: MetricWidgetData, index: number): string {
  const s = metricSeries(data, m);
  const ceiling =
    data.workload.capacity.maxUnits * m.metric.capacityPerUnit * data.workload.capacity.targetUtilization;
  const note =
    m.actual.kind === 'error'
      ? `<p class="warn">CloudWatch: ${escapeHtml(m.actual.message)}</p>`
      : m.actual.kind === 'no-data'
        ? '<p class="muted">CloudWatch has no data for this metric in the range.</p>'
        : '';
  const latest = m.latest
    ? `newest forecast ${utcMinute(m.latest.generatedAt)} UTC, ${escapeHtml(m.latest.model)}, confidence ${m.latest.confidence}`
    : 'no forecast stored yet';
  const chart = lineChart({
    id: `metric-${index}`,
    title: `${m.metric.name} (${m.metric.namespace} ${m.metric.metricName}, ${m.metric.stat})`,
    t: s.t,
    width: data.width,
    height: 260,
    series: [
      { name: 'actual', color: COLORS.actual, values: s.actual, width: 1.5 },
      { name: 'forecast one step ahead', color: COLORS.stepAhead, values: s.stepAhead, dash: '3 3' },
      { name: 'newest forecast (median)', color: COLORS.forecast, values: s.forecast, width: 2 },
      {
        name: `planning path (q${m.latest?.planning?.quantile ?? m.metric.quantile})`,
        color: COLORS.planning,
        values: s.planning,
        dash: '6 4',
      },
      {
        name: `primary at ${data.workload.capacity.maxUnits} units`,
        color: COLORS.ceiling,
        values: new Float64Array(s.t.length).fill(ceiling),
        dash: '2 4',
        width: 1,
      },
    ],
    bands: s.bandNames
      ? [
          {
            name: `q${s.bandNames[0]}–q${s.bandNames[1]}`,
            color: COLORS.band,
            low: s.low,
            high: s.high,
            opacity: 0.25,
          },
        ]
      : [],
    events:
      data.nowMs >= s.grid.startMs && data.nowMs < s.grid.startMs + s.grid.count * s.grid.stepMs
        ? [{ t: data.nowMs, label: 'now', color: COLORS.now, kind: 'now' }]
        : [],
  });
  return `${note}${chart}<p class="muted">${latest}</p>`;
}

const STYLE = `<style>
.cards{display:flex;gap:8px;flex-wrap:wrap;margin:4px 0 8px}.card{border:1px solid #d0d7de;border-radius:6px;padding:4px 10px}
.card span{display:block;font-size:11px;color:#57606a}.card b{font-size:15px}.muted{color:#57606a}.warn{color:#cf222e}
.chart svg{max-width:100%;height:auto}.tick{font-size:11px;fill:#57606a}.title{font-size:13px;font-weight:600}
.key{display:inline-flex;align-items:center;margin-right:12px;font-size:11px}.key i{display:inline-block;width:14px;height:4px;margin-right:4px}
.key i.marker{width:0;height:12px;border-left:2px dotted;margin:0 6px 0 2px}
</style>`;

/** The workload picker: a form the widget's own function re-renders from (`forms.all`). */
export function pickerForm(selfArn: string | undefined, workloadId: string | undefined): string {
  const value = workloadId ? ` value="${escapeHtml(workloadId)}"` : '';
  const input = `<form><label>workload <input name="workloadId"${value} size="32"/></label></form>`;
  if (!selfArn) return input;
  return `${input}<a class="btn btn-primary">Show</a><cwdb-action action="call" display="widget" endpoint="${escapeHtml(selfArn)}"></cwdb-action>`;
}

/** The whole widget for one workload. */
export function renderForecastWidget(data: ForecastWidgetData, selfArn?: string): string {
  const charts = data.metrics.map((m, i) => metricChart(data, m, i)).join('');
  return [
    STYLE,
    pickerForm(selfArn, data.workload.workloadId),
    decisionCards(data),
    charts,
    '<h4>Forecast accuracy (running, against what happened)</h4>',
    accuracyTable(data),
  ].join('');
}

/** A widget with a message instead of a workload (none chosen, unknown id, bad input). */
export function renderWidgetMessage(message: string, selfArn?: string, workloadId?: string): string {
  return `${STYLE}${pickerForm(selfArn, workloadId)}<p class="muted">${escapeHtml(message)}</p>`;
}
