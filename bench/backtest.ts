import { readdirSync, readFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import type { ElasticityMetrics } from '../shared/backtest/metrics';
import { isLoopPolicy, POLICY_NAMES, type PolicyName } from '../shared/backtest/policy';
import {
  type BacktestJson,
  type BacktestSetup,
  makePolicy,
  runPolicy,
  runShadowscale,
  toJson,
} from '../shared/backtest/runner';
import { parseTimestampValueCsv, repairLine } from '../shared/series/csv';
import { mulberry32 } from '../shared/sim/random';
import {
  autoUnitCapacity,
  type DemandTrace,
  demandUnits,
  traceFromPoints,
  traceRepairs,
} from '../shared/sim/trace';

/**
 * `shadowscale bench backtest`: every policy over every trace of a folder, the scaling targets
 * (shadowscale vs reactive and vs the oracle), and the time of 1,000 simulated days at 5-minute
 * steps through every policy.
 */

export const METRIC_KEYS = [
  'theta_u',
  'theta_o',
  'tau_u',
  'tau_o',
  'instability',
  'overload_minutes',
  'unserved_fraction',
  'unit_hours',
  'cost',
  'actions',
] as const satisfies readonly (keyof ElasticityMetrics)[];

/**
 * Zeros would zero a geometric mean, so each value is floored at the metric's resolution on its
 * trace: one step for time shares (100 / steps %) and overload (one interval, in minutes), and
 * GEOMEAN_FLOOR for the rest. A zero means "less than one step", not "infinitely better".
 */
export const GEOMEAN_FLOOR = 1e-3;

/** The floor of `key` on a trace of `steps` steps of `intervalS` seconds. */
export function metricFloor(
  key: keyof ElasticityMetrics,
  steps: number | undefined,
  intervalS: number,
): number {
  if (key === 'overload_minutes') return intervalS / 60;
  if ((key === 'tau_u' || key === 'tau_o' || key === 'instability') && steps !== undefined && steps > 0)
    return 100 / steps;
  return GEOMEAN_FLOOR;
}

/**
 * The scaling targets of `shadowscale` (the learned policy): vs reactive target tracking, vs the
 * hourly-predictive approximation of AWS predictive scaling, vs the oracle; and no regret per trace
 * (overload minutes at most reactive's, unit-hours at most `noRegretUnitHours` × reactive's).
 */
export const TARGETS = {
  tauU: 0.25,
  overload: 0.3,
  unitHours: 1.1,
  tauUPredictive: 0.5,
  overloadPredictive: 0.5,
  unitHoursPredictive: 1.0,
  unitHoursOracle: 1.15,
  noRegretUnitHours: 1.15,
} as const;

/** Traces where shadowscale overloads longer than reactive, or pays over 1.15× its unit-hours. */
function noRegret(rows: readonly BacktestJson[]): TargetCheck | undefined {
  let met = 0;
  let defined = 0;
  let worst = 0;
  for (const r of rows) {
    const s = r.policies.shadowscale;
    const b = r.policies.reactive;
    if (!s || !b) continue;
    defined++;
    const costRatio = b.unit_hours > 0 ? s.unit_hours / b.unit_hours : 1;
    worst = Math.max(worst, costRatio);
    if (s.overload_minutes <= b.overload_minutes && costRatio <= TARGETS.noRegretUnitHours) met++;
  }
  if (defined === 0) return undefined;
  return {
    name: 'no regret: traces as safe as reactive within 1.15× its unit-hours (value: worst unit-hours ratio)',
    value: worst,
    limit: TARGETS.noRegretUnitHours,
    met: met === defined,
    tracesMet: met,
    tracesDefined: defined,
  };
}

export interface BacktestDefaults {
  targetUtilization: number;
  unitsAtP95: number;
  primaryMax: number;
  shadowMax: number;
}

/** The defaults the CLI and the bench share: p95 needs 20 units; the primary holds 25, the shadow 25. */
export const DEFAULTS: BacktestDefaults = {
  targetUtilization: 0.7,
  unitsAtP95: 20,
  primaryMax: 25,
  shadowMax: 25,
};

export function listTraceFiles(dir: string, only: readonly string[] = []): string[] {
  return readdirSync(dir)
    .filter((f) => f.toLowerCase().endsWith('.csv'))
    .filter((f) => only.length === 0 || only.some((o) => f.includes(o)))
    .sort()
    .map((f) => join(dir, f));
}

export function loadDemandTrace(file: string, onRepairs?: (line: string) => void): DemandTrace {
  const points = parseTimestampValueCsv(readFileSync(file, 'utf8'), file);
  const { trace, report } = traceFromPoints(basename(file, '.csv'), points);
  const repaired = repairLine(basename(file), points.length, traceRepairs(report));
  if (repaired) onRepairs?.(repaired);
  return trace;
}

export interface BenchSummary {
  traces: number;
  /** Geometric mean of each metric per policy (values floored at GEOMEAN_FLOOR). */
  geomean: Record<string, Record<string, number>>;
  targets: TargetCheck[];
}

export interface TargetCheck {
  name: string;
  /** Ratio of geometric means. */
  value: number;
  limit: number;
  met: boolean;
  /** Traces meeting the target on their own (where the ratio is defined). */
  tracesMet: number;
  tracesDefined: number;
}

export function geomean(values: readonly number[], floors?: readonly number[]): number {
  if (values.length === 0) return Number.NaN;
  let s = 0;
  values.forEach((v, i) => {
    s += Math.log(Math.max(v, floors?.[i] ?? GEOMEAN_FLOOR));
  });
  return Math.exp(s / values.length);
}

function ratioCheck(
  name: string,
  rows: readonly BacktestJson[],
  geo: Record<string, Record<string, number>>,
  a: PolicyName,
  b: PolicyName,
  key: keyof ElasticityMetrics,
  limit: number,
): TargetCheck | undefined {
  const ga = geo[a]?.[key];
  const gb = geo[b]?.[key];
  if (ga === undefined || gb === undefined) return undefined;
  let met = 0;
  let defined = 0;
  for (const r of rows) {
    const x = r.policies[a]?.[key];
    const y = r.policies[b]?.[key];
    if (x === undefined || y === undefined) continue;
    if (y <= 0 && x <= 0) continue;
    defined++;
    if (y > 0 ? x / y <= limit : false) met++;
  }
  const value = ga / gb;
  return { name, value, limit, met: value <= limit, tracesMet: met, tracesDefined: defined };
}

/** `steps`: trace name -> number of steps, for the resolution floors (see metricFloor). */
export function summarise(rows: readonly BacktestJson[], steps: Record<string, number> = {}): BenchSummary {
  const geo: Record<string, Record<string, number>> = {};
  const names = new Set(rows.flatMap((r) => Object.keys(r.policies)));
  for (const name of names) {
    geo[name] = {};
    for (const key of METRIC_KEYS) {
      const vals: number[] = [];
      const floors: number[] = [];
      for (const r of rows) {
        const v = r.policies[name]?.[key];
        if (v === undefined) continue;
        vals.push(v);
        floors.push(metricFloor(key, steps[r.trace], r.interval_s));
      }
      (geo[name] as Record<string, number>)[key] = geomean(vals, floors);
    }
  }
  const vs = (b: PolicyName, key: keyof ElasticityMetrics, label: string, limit: number) =>
    ratioCheck(`shadowscale ${label} / ${b}`, rows, geo, 'shadowscale', b, key, limit);
  const targets = [
    vs('reactive', 'tau_u', 'τU', TARGETS.tauU),
    vs('reactive', 'overload_minutes', 'overload min', TARGETS.overload),
    vs('reactive', 'unit_hours', 'unit-hours', TARGETS.unitHours),
    vs('hourly-predictive', 'tau_u', 'τU', TARGETS.tauUPredictive),
    vs('hourly-predictive', 'overload_minutes', 'overload min', TARGETS.overloadPredictive),
    vs('hourly-predictive', 'unit_hours', 'unit-hours', TARGETS.unitHoursPredictive),
    vs('oracle', 'unit_hours', 'unit-hours', TARGETS.unitHoursOracle),
    noRegret(rows),
  ].filter((t): t is TargetCheck => t !== undefined);
  return { traces: rows.length, geomean: geo, targets };
}

export function setupFor(
  trace: DemandTrace,
  d: BacktestDefaults = DEFAULTS,
  quantile?: number,
): BacktestSetup {
  return {
    trace,
    unitCapacity: autoUnitCapacity(trace, d.targetUtilization, d.unitsAtP95),
    targetUtilization: d.targetUtilization,
    primaryMax: d.primaryMax,
    shadowMax: d.shadowMax,
    shadowscale: quantile === undefined ? {} : { quantile },
  };
}

/** Deterministic 5-minute demand with daily and weekly shape, trend-free noise and bursts. */
export function syntheticTrace(days: number, seed = 42): DemandTrace {
  const step = 300_000;
  const n = Math.round((days * 86_400_000) / step);
  const values = new Float64Array(n);
  const rand = mulberry32(seed);
  let burst = 0;
  for (let i = 0; i < n; i++) {
    const hour = ((i * step) / 3_600_000) % 24;
    const dow = Math.floor((i * step) / 86_400_000) % 7;
    const daily = 1 + 0.6 * Math.sin(((hour - 8) / 24) * 2 * Math.PI);
    const weekly = dow >= 5 ? 0.7 : 1;
    if (burst <= 0 && rand() < 0.002) burst = 12;
    const b = burst > 0 ? 1.5 : 1;
    burst--;
    values[i] = Math.max(0, 1000 * daily * weekly * b * (1 + 0.08 * (rand() - 0.5)));
  }
  return { name: `synthetic-${days}d`, startMs: Date.UTC(2026, 0, 5), intervalMs: step, values };
}

export interface SpeedResult {
  days: number;
  steps: number;
  /** Wall-clock seconds (inflated when other processes share the machine). */
  seconds: number;
  /** Process CPU seconds (user + system): the "one core" measure, robust to a shared machine. */
  cpuSeconds: number;
  perPolicy: Record<string, { seconds: number; cpuSeconds: number }>;
}

function cpuNow(): number {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1e6;
}

/**
 * Time `days` simulated days at 5-minute steps through every policy. The deployed loop runs the
 * forecaster service, the pre-warm service and the state machines' tasks every step, so its time
 * is per simulated day of one workload (what a replay of a trace costs).
 */
export async function speed(days = 100, quantile?: number): Promise<SpeedResult> {
  const trace = syntheticTrace(days);
  const setup = setupFor(trace, DEFAULTS, quantile);
  const future = demandUnits(
    trace,
    setup.unitCapacity,
    setup.targetUtilization ?? DEFAULTS.targetUtilization,
  );
  const perPolicy: SpeedResult['perPolicy'] = {};
  const wall0 = performance.now();
  const cpu0 = cpuNow();
  for (const name of POLICY_NAMES) {
    const w = performance.now();
    const c = cpuNow();
    if (isLoopPolicy(name)) await runShadowscale(setup, undefined, name);
    else runPolicy(setup, makePolicy(name, future));
    perPolicy[name] = { seconds: (performance.now() - w) / 1000, cpuSeconds: cpuNow() - c };
  }
  return {
    days,
    steps: trace.values.length,
    seconds: (performance.now() - wall0) / 1000,
    cpuSeconds: cpuNow() - cpu0,
    perPolicy,
  };
}

function pad(s: string, n: number): string {
  return s.length >= n ? s.slice(0, n) : s + ' '.repeat(n - s.length);
}

function num(x: number | undefined, digits = 1): string {
  return x === undefined || !Number.isFinite(x) ? '—' : x.toFixed(digits);
}

/** The human-readable bench output. */
export function formatBench(rows: readonly BacktestJson[], summary: BenchSummary, sp?: SpeedResult): string {
  const lines: string[] = [];
  lines.push(
    `${pad('trace', 38)} ${pad('policy', 18)} ${['θU%', 'θO%', 'τU%', 'τO%', 'inst%', 'ovl-min', 'unserv%', 'unit-h', 'actions'].map((h) => h.padStart(9)).join('')}`,
  );
  for (const r of rows) {
    for (const [name, m] of Object.entries(r.policies)) {
      lines.push(
        `${pad(r.trace, 38)} ${pad(name, 18)} ${[
          num(m.theta_u, 2),
          num(m.theta_o, 2),
          num(m.tau_u, 2),
          num(m.tau_o, 2),
          num(m.instability, 1),
          num(m.overload_minutes, 0),
          num(m.unserved_fraction * 100, 3),
          num(m.unit_hours, 0),
          String(m.actions),
        ]
          .map((c) => c.padStart(9))
          .join('')}`,
      );
    }
  }
  lines.push('');
  lines.push(
    `summary over ${summary.traces} traces (geometric means; zeros floored at one step for τ, instability and overload minutes, at ${GEOMEAN_FLOOR} otherwise):`,
  );
  for (const [name, g] of Object.entries(summary.geomean)) {
    lines.push(
      `  ${pad(name, 18)} θU ${num(g.theta_u, 2)}  θO ${num(g.theta_o, 2)}  τU ${num(g.tau_u, 2)}  τO ${num(g.tau_o, 2)}  instability ${num(g.instability, 1)}  overload-min ${num(g.overload_minutes, 1)}  unit-h ${num(g.unit_hours, 0)}  actions ${num(g.actions, 0)}`,
    );
  }
  lines.push('targets:');
  for (const t of summary.targets) {
    lines.push(
      `  ${pad(t.name, 40)} ${num(t.value, 3).padStart(7)}  (target <= ${t.limit})  ${t.met ? 'MET' : 'NOT MET'}  per trace: ${t.tracesMet}/${t.tracesDefined}`,
    );
  }
  if (sp) {
    lines.push(
      `speed: ${sp.days} simulated days (${sp.steps} steps of 5 min) x ${Object.keys(sp.perPolicy).length} policies: ${sp.cpuSeconds.toFixed(2)} s CPU (${sp.seconds.toFixed(2)} s wall); the deployed loop ${((sp.perPolicy.shadowscale?.cpuSeconds ?? 0) / sp.days).toFixed(3)} s CPU per simulated day`,
    );
    lines.push(
      `  per policy (CPU / wall): ${Object.entries(sp.perPolicy)
        .map(([k, v]) => `${k} ${v.cpuSeconds.toFixed(2)} / ${v.seconds.toFixed(2)} s`)
        .join(', ')}`,
    );
  }
  return `${lines.join('\n')}\n`;
}

export { toJson };
