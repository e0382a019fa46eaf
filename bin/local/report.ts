import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import type { ElasticityMetrics } from '../../shared/backtest/metrics';
import { type ChartEvent, escapeHtml, lineChart, page, table, timeline } from '../../shared/report/chart';
import type { Workload } from '../../shared/schemas/workload';
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
  wallSeconds: number;
}

const COLORS: Partial<Record<LineKind, string>> = {
  contention: '#d9480f',
  migration: '#1c7ed6',
  weights: '#7048e8',
  rollback: '#e03131',
  return: '#2f9e44',
  prewarm: '#f59f00',
  anomaly: '#c2255c',
  lifecycle: '#0b7285',
};

/** The HTML report of a local run (the backtest report's style): charts, summary, timeline. */
export function localReportHtml(r: LocalReportInput): string {
  const h = r.history;
  const perUnit = r.unitCapacity * r.workload.capacity.targetUtilization;
  const n = h.length;
  const demandUnits = Float64Array.from(h.demand, (v) => v / perUnit);
  const readyTotal = Float64Array.from(
    { length: n },
    (_, i) => (h.readyPrimary[i] ?? 0) + (h.readyShadow[i] ?? 0),
  );
  const reactiveReady = Float64Array.from({ length: n }, (_, i) => r.reactive.readyPrimary[i] ?? Number.NaN);
  const shadowWeight = Float64Array.from(h.shadowShare, (s) => s * 100);
  const markers: ChartEvent[] = r.timeline
    .filter((e) => e.kind !== 'forecast' && e.kind !== 'prewarm' && e.kind !== 'info')
    .map((e) => ({ t: e.atMs, label: e.text, color: COLORS[e.kind] ?? '#555' }));
  // The capacity chart marks what changed the picture; the weights chart marks every step.
  const majorMarkers = r.timeline
    .filter(
      (e) =>
        e.kind === 'contention' ||
        e.kind === 'rollback' ||
        ((e.kind === 'migration' || e.kind === 'return') && /(started|succeeded|failed)/.test(e.text)),
    )
    .map((e) => ({ t: e.atMs, label: e.text, color: COLORS[e.kind] ?? '#555' }));
  const stepMarkers = markers.filter((m) => m.color === COLORS.weights || m.color === COLORS.rollback);
  const capacityChart = lineChart({
    id: 'capacity',
    title: 'Demand and ready capacity (units at target utilisation)',
    t: h.t,
    from: r.from,
    yLabel: 'units',
    series: [
      { name: 'demand', color: '#212529', values: demandUnits },
      { name: 'primary ready', color: '#1c7ed6', values: h.readyPrimary, kind: 'step' },
      { name: 'shadow ready', color: '#7048e8', values: h.readyShadow, kind: 'area' },
      { name: 'primary + shadow ready', color: '#2f9e44', values: readyTotal, kind: 'step' },
      { name: 'reactive only (same trace)', color: '#f03e3e', values: reactiveReady, kind: 'step' },
    ],
    events: majorMarkers,
  });
  const weightChart = lineChart({
    id: 'weights',
    title: 'Traffic on the shadow pool (%)',
    t: h.t,
    from: r.from,
    yMin: 0,
    yMax: 100,
    height: 200,
    series: [{ name: 'shadow weight', color: '#7048e8', values: shadowWeight, kind: 'area' }],
    events: stepMarkers,
  });
  const unservedChart = lineChart({
    id: 'unserved',
    title: 'Demand that found no capacity (trace unit per step)',
    t: h.t,
    from: r.from,
    height: 200,
    series: [
      { name: 'shadowscale', color: '#2f9e44', values: h.unserved, kind: 'area' },
      { name: 'reactive only', color: '#f03e3e', values: r.reactive.unserved },
    ],
  });
  const rows = comparisonRows(r.shadowscale, r.reactiveMetrics, r.oracleMetrics).map((x) => [
    x.label,
    x.shadowscale,
    x.reactive,
    x.oracle,
  ]);
  const events: ChartEvent[] = r.timeline
    .filter((e) => e.kind !== 'forecast')
    .map((e) => ({ t: e.atMs, label: `${e.kind}: ${e.text}`, color: COLORS[e.kind] ?? '#868e96' }));
  const c = r.workload.capacity;
  const body = `
<h1>${escapeHtml(r.title)}</h1>
<p class="muted">Workload <b>${escapeHtml(r.workload.workloadId)}</b>: primary ${c.minUnits}..${c.maxUnits} units, shadow up to ${c.shadowMaxUnits}, provisioning lag ${c.provisioningLagSeconds}s, target utilisation ${c.targetUtilization}. Real forecaster, pre-warm and shadow-pool state machines over the simulated fleet and a local DynamoDB; ${r.wallSeconds.toFixed(1)} s of wall time.</p>
${capacityChart}
${weightChart}
${unservedChart}
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
