import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import type { ElasticityMetrics } from '../../shared/backtest/metrics';
import {
  type ChartEvent,
  type ChartSeries,
  escapeHtml,
  lineChart,
  page,
  table,
  timeline,
} from '../../shared/report/chart';
import type { Workload } from '../../shared/schemas/workload';
import type { FloorLift } from '../../shared/sim/autoscaler';
import type { FleetHistory } from '../../shared/sim/fleet';
import { comparisonRows, type LineKind } from './output';

export interface TimelineEntry {
  atMs: number;
  kind: LineKind;
  text: string;
}

export interface LocalReportInput {
  title: string;
  workload: Workload;
  unitCapacity: number;
  /** First replay step (steps before it are the warm-up). */
  from: number;
  history: FleetHistory;
  reactive: FleetHistory;
  timeline: readonly TimelineEntry[];
  shadowscale: ElasticityMetrics;
  reactiveMetrics: ElasticityMetrics;
  /** The hindsight oracle on the same trace: the floor no real policy reaches. */
  oracleMetrics: ElasticityMetrics;
  /** Units the pre-warm floor held above target tracking's own wish, as it changed. */
  floorLift?: readonly FloorLift[];
  /** The primary pool's maximum (the cap reactive scaling hits). */
  primaryMax?: number;
  wallSeconds: number;
}

/** Marker colours, and the legend entry each kind of marker gets. */
const MARKERS: Partial<Record<LineKind, { color: string; legend: string }>> = {
  contention: { color: '#d9480f', legend: 'contention predicted / cleared' },
  migration: { color: '#1c7ed6', legend: 'migration started / ended' },
  weights: { color: '#7048e8', legend: 'verified weight step' },
  rollback: { color: '#e03131', legend: 'rollback' },
  return: { color: '#2f9e44', legend: 'return home started / ended' },
  prewarm: { color: '#f59f00', legend: 'pre-warm' },
  anomaly: { color: '#c2255c', legend: 'anomaly' },
  lifecycle: { color: '#0b7285', legend: 'lifecycle rule ran' },
};

/** Series colours of the local report (the rendering test looks for them). */
export const LOCAL_COLORS = {
  demand: '#212529',
  primary: '#1c7ed6',
  shadow: '#7048e8',
  total: '#2f9e44',
  reactive: '#f03e3e',
} as const;

function marker(e: TimelineEntry): ChartEvent {
  const m = MARKERS[e.kind];
  return { t: e.atMs, label: e.text, color: m?.color ?? '#555', ...(m ? { kind: m.legend } : {}) };
}

/** What changed the capacity picture: contention, operations starting and ending, rollbacks, anomalies. */
function majorMarkers(entries: readonly TimelineEntry[]): ChartEvent[] {
  return entries
    .filter(
      (e) =>
        e.kind === 'contention' ||
        e.kind === 'rollback' ||
        e.kind === 'anomaly' ||
        ((e.kind === 'migration' || e.kind === 'return') && /(started|succeeded|failed)/.test(e.text)),
    )
    .map(marker);
}

/** Every verified weight step, and rollbacks. */
function stepMarkers(entries: readonly TimelineEntry[]): ChartEvent[] {
  return entries.filter((e) => e.kind === 'weights' || e.kind === 'rollback').map(marker);
}

/**
 * Demand against ready capacity. Where lines meet, the draw order keeps each one visible: reactive
 * is the widest stroke at the bottom, primary + shadow a narrower one above it, primary ready a
 * dashed line on top of both, so a pool that matches reactive's size shows as dashes on a rim.
 */
function capacityChart(r: LocalReportInput): string {
  const h = r.history;
  const perUnit = r.unitCapacity * r.workload.capacity.targetUtilization;
  const n = h.length;
  const total = Float64Array.from(
    { length: n },
    (_, i) => (h.readyPrimary[i] ?? 0) + (h.readyShadow[i] ?? 0),
  );
  const reactive = Float64Array.from({ length: n }, (_, i) => r.reactive.readyPrimary[i] ?? Number.NaN);
  const series: ChartSeries[] = [
    { name: 'shadow ready', color: LOCAL_COLORS.shadow, values: h.readyShadow, kind: 'area' },
    {
      name: 'reactive only, ready (same trace)',
      color: LOCAL_COLORS.reactive,
      values: reactive,
      kind: 'step',
      width: 7,
    },
    { name: 'primary + shadow ready', color: LOCAL_COLORS.total, values: total, kind: 'step', width: 3.5 },
    { name: 'primary ready', color: LOCAL_COLORS.primary, values: h.readyPrimary, kind: 'step', dash: '7 5' },
    { name: 'demand', color: LOCAL_COLORS.demand, values: Float64Array.from(h.demand, (v) => v / perUnit) },
  ];
  return lineChart({
    id: 'capacity',
    title: 'Demand and ready capacity (units at target utilisation)',
    t: h.t,
    from: r.from,
    yLabel: 'units',
    series,
    events: majorMarkers(r.timeline),
  });
}

function weightChart(r: LocalReportInput): string {
  return lineChart({
    id: 'weights',
    title: 'Traffic on the shadow pool (%)',
    t: r.history.t,
    from: r.from,
    yMin: 0,
    yMax: 100,
    height: 220,
    series: [
      {
        name: 'shadow weight',
        color: LOCAL_COLORS.shadow,
        values: Float64Array.from(r.history.shadowShare, (s) => s * 100),
        kind: 'area',
      },
    ],
    events: stepMarkers(r.timeline),
  });
}

function unservedChart(r: LocalReportInput): string {
  return lineChart({
    id: 'unserved',
    title: 'Demand that found no capacity (trace unit per step)',
    t: r.history.t,
    from: r.from,
    height: 220,
    series: [
      { name: 'reactive only', color: LOCAL_COLORS.reactive, values: r.reactive.unserved, width: 3 },
      { name: 'shadowscale', color: LOCAL_COLORS.total, values: r.history.unserved, kind: 'area' },
    ],
  });
}

/** Where the money went, in unit-hours over the replay (warm-up excluded). */
export interface CostBreakdown {
  primary: number;
  /** Part of `primary`: units the pre-warm floor held above what target tracking asked for. */
  prewarmFloor: number;
  shadow: number;
  reactive: number;
}

/** Σ billed units × step over [from, n) of each pool, and the floor's lift over the same window. */
export function costBreakdown(r: LocalReportInput): CostBreakdown {
  const h = r.history;
  const start = h.t[r.from] ?? Number.POSITIVE_INFINITY;
  const stepMs = h.length > r.from + 1 ? (h.t[r.from + 1] as number) - start : 0;
  const end = h.length > 0 ? (h.t[h.length - 1] as number) + stepMs : start;
  let primary = 0;
  let shadow = 0;
  for (let i = r.from; i < h.length; i++) {
    primary += h.billedPrimary[i] ?? 0;
    shadow += h.billedShadow[i] ?? 0;
  }
  const hours = stepMs / 3_600_000;
  return {
    primary: primary * hours,
    prewarmFloor: liftUnitHours(r.floorLift ?? [], start, end),
    shadow: shadow * hours,
    reactive: r.reactiveMetrics.unit_hours,
  };
}

/** ∫ lift dt over [start, end), the lift held from each change to the next. */
function liftUnitHours(lift: readonly FloorLift[], start: number, end: number): number {
  let unitMs = 0;
  lift.forEach((l, i) => {
    const a = Math.max(start, l.atMs);
    const b = Math.min(end, lift[i + 1]?.atMs ?? end);
    if (b > a) unitMs += l.units * (b - a);
  });
  return unitMs / 3_600_000;
}

const uh = (x: number): string => x.toFixed(1);

/** The cost table and one paragraph: what was paid for, why, and the overload it bought. */
function costSection(r: LocalReportInput): string {
  const c = costBreakdown(r);
  const ss = r.shadowscale;
  const re = r.reactiveMetrics;
  const total = c.primary + c.shadow;
  const rows = [
    ['primary pool', uh(c.primary), uh(c.reactive)],
    ['↳ of which held by the pre-warm floor', uh(c.prewarmFloor), '—'],
    ['shadow pool', uh(c.shadow), '—'],
    ['total unit-hours', uh(total), uh(c.reactive)],
    ['minutes overloaded', ss.overload_minutes.toFixed(0), re.overload_minutes.toFixed(0)],
    [
      'unserved demand',
      `${(ss.unserved_fraction * 100).toFixed(2)}%`,
      `${(re.unserved_fraction * 100).toFixed(2)}%`,
    ],
  ];
  const extra = total - c.reactive;
  const avoided = re.overload_minutes - ss.overload_minutes;
  const cap = r.primaryMax !== undefined ? ` (its maximum is ${r.primaryMax} units)` : '';
  const paid =
    extra >= 0
      ? `Shadowscale paid for <b>${uh(total)}</b> unit-hours, <b>${uh(extra)}</b> more than reactive target tracking alone (${uh(c.reactive)}, ${c.reactive > 0 ? `+${((extra / c.reactive) * 100).toFixed(0)} %` : 'none'}).`
      : `Shadowscale paid for <b>${uh(total)}</b> unit-hours, <b>${uh(-extra)}</b> fewer than reactive target tracking alone (${uh(c.reactive)}).`;
  const floor =
    c.prewarmFloor >= 0.05
      ? `${uh(c.prewarmFloor)} of them are the pre-warm floor holding it above what target tracking asked for, ahead of the forecast demand`
      : 'the pre-warm floor never held it above what target tracking asked for';
  const why = `The primary pool ran ${uh(c.primary)} unit-hours${cap} against reactive's ${uh(c.reactive)}; ${floor}. The shadow pool ran ${uh(c.shadow)} unit-hours, carrying the share of the traffic the primary could not.`;
  const bought =
    avoided > 0
      ? `That bought <b>${avoided.toFixed(0)}</b> fewer overloaded minutes (${ss.overload_minutes.toFixed(0)} against ${re.overload_minutes.toFixed(0)})${extra > 0 ? `: ${(extra / avoided).toFixed(2)} unit-hours per overloaded minute avoided` : ''}.`
      : `Overloaded minutes: ${ss.overload_minutes.toFixed(0)} against reactive's ${re.overload_minutes.toFixed(0)}.`;
  return `<h2>What the capacity cost, and what it bought</h2>
<p id="cost-summary">${paid} ${why} ${bought}</p>
${table(['unit-hours over the replay', 'shadowscale', 'reactive'], rows)}`;
}

/** The HTML report of a local run (the backtest report's style): charts, cost, comparison, timeline. */
export function localReportHtml(r: LocalReportInput): string {
  const rows = comparisonRows(r.shadowscale, r.reactiveMetrics, r.oracleMetrics).map((x) => [
    x.label,
    x.shadowscale,
    x.reactive,
    x.oracle,
  ]);
  const events: ChartEvent[] = r.timeline
    .filter((e) => e.kind !== 'forecast')
    .map((e) => ({ t: e.atMs, label: `${e.kind}: ${e.text}`, color: MARKERS[e.kind]?.color ?? '#868e96' }));
  const c = r.workload.capacity;
  const body = `
<h1>${escapeHtml(r.title)}</h1>
<p class="muted">Workload <b>${escapeHtml(r.workload.workloadId)}</b>: primary ${c.minUnits}..${c.maxUnits} units, shadow up to ${c.shadowMaxUnits}, provisioning lag ${c.provisioningLagSeconds}s, target utilisation ${c.targetUtilization}. Real forecaster, pre-warm and shadow-pool state machines over the simulated fleet and a local DynamoDB; ${r.wallSeconds.toFixed(1)} s of wall time. Dotted vertical lines mark events (hover for the text; the legend names each colour).</p>
${capacityChart(r)}
${weightChart(r)}
${unservedChart(r)}
${costSection(r)}
<h2>Compared with reactive target tracking alone, and with the hindsight oracle</h2>
<p class="muted">The oracle knows the whole day's demand in advance: no real policy reaches it.</p>
${table(['same trace, same physics', 'shadowscale', 'reactive', 'oracle'], rows)}
<h2>Timeline</h2>
<div id="timeline">${timeline(events, 400)}</div>
`;
  return page(r.title, body);
}

/** Write the report; returns its absolute path. */
export function writeLocalReport(path: string, input: LocalReportInput): string {
  const absolute = resolve(path);
  mkdirSync(dirname(absolute), { recursive: true });
  writeFileSync(absolute, localReportHtml(input));
  return absolute;
}
