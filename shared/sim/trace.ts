import { ValidationError } from '../errors';

/**
 * A demand trace on a regular grid: `values[i]` is the demand (in the trace's own unit, e.g.
 * requests per interval or CPU percent) over [startMs + i·intervalMs, startMs + (i+1)·intervalMs).
 * Replay needs a value at every step, so gaps are carried forward (and counted in the report).
 */
export interface DemandTrace {
  name: string;
  startMs: number;
  intervalMs: number;
  values: Float64Array;
}

export interface TraceReport {
  inputPoints: number;
  /** Rows whose value was not a finite number. */
  nonNumeric: number;
  /** Rows that fell on a grid slot already taken (the later row wins). */
  duplicates: number;
  /** Empty grid slots filled with the previous value. */
  carriedForward: number;
}

/** Median of the positive spacings between sorted timestamps. */
export function medianSpacing(sortedTimes: readonly number[]): number {
  const diffs: number[] = [];
  for (let i = 1; i < sortedTimes.length; i++) {
    const d = (sortedTimes[i] as number) - (sortedTimes[i - 1] as number);
    if (d > 0) diffs.push(d);
  }
  diffs.sort((a, b) => a - b);
  return diffs[Math.floor(diffs.length / 2)] ?? 0;
}

/**
 * Put raw `{t, v}` rows (any order, duplicates, NaN) on a regular grid for replay. The interval is
 * the given one or the median spacing. Throws ValidationError when fewer than 2 usable rows remain.
 */
export function traceFromPoints(
  name: string,
  points: readonly { t: number; v: number }[],
  intervalMs?: number,
): { trace: DemandTrace; report: TraceReport } {
  const usable = points.filter((p) => Number.isFinite(p.v) && Number.isFinite(p.t));
  const nonNumeric = points.length - usable.length;
  if (usable.length < 2) {
    throw new ValidationError(`trace ${name}: needs at least 2 numeric rows, found ${usable.length}`, [
      { path: 'trace', message: 'too few numeric rows', received: usable.length },
    ]);
  }
  usable.sort((a, b) => a.t - b.t);
  const step = intervalMs ?? medianSpacing(usable.map((p) => p.t));
  if (!(step > 0)) {
    throw new ValidationError(`trace ${name}: cannot infer an interval (all timestamps equal)`, [
      { path: 'trace', message: 'no interval', received: step },
    ]);
  }
  const startMs = (usable[0] as { t: number }).t;
  const last = (usable[usable.length - 1] as { t: number }).t;
  const n = Math.round((last - startMs) / step) + 1;
  const values = new Float64Array(n).fill(Number.NaN);
  let duplicates = 0;
  for (const p of usable) {
    const i = Math.round((p.t - startMs) / step);
    if (!Number.isNaN(values[i] as number)) duplicates++;
    values[i] = Math.max(0, p.v);
  }
  let carriedForward = 0;
  for (let i = 1; i < n; i++) {
    if (Number.isNaN(values[i] as number)) {
      values[i] = values[i - 1] as number;
      carriedForward++;
    }
  }
  return {
    trace: { name, startMs, intervalMs: step, values },
    report: { inputPoints: points.length, nonNumeric, duplicates, carriedForward },
  };
}

/** The q-quantile (0..1) of values by linear interpolation between order statistics. */
export function quantileOf(values: ArrayLike<number>, q: number): number {
  const sorted = Float64Array.from(values).sort();
  if (sorted.length === 0) return Number.NaN;
  const pos = q * (sorted.length - 1);
  const lo = Math.floor(pos);
  const hi = Math.min(sorted.length - 1, lo + 1);
  return (sorted[lo] as number) + ((sorted[hi] as number) - (sorted[lo] as number)) * (pos - lo);
}

/**
 * `--unit-capacity auto`: one unit's capacity (in the trace's unit, at 100% utilisation) chosen so
 * that the trace's p95 needs `unitsAtP95` units at the target utilisation:
 * capacity = p95 / (unitsAtP95 × targetUtilization).
 */
export function autoUnitCapacity(trace: DemandTrace, targetUtilization: number, unitsAtP95 = 20): number {
  const p95 = quantileOf(trace.values, 0.95);
  if (!(p95 > 0)) {
    throw new ValidationError(`trace ${trace.name}: p95 demand is ${p95}; cannot size a unit automatically`, [
      { path: '--unit-capacity', message: 'auto needs a positive p95', received: p95 },
    ]);
  }
  return p95 / (unitsAtP95 * targetUtilization);
}

/** Demand in units at step i: d_i = value_i / (unitCapacity × targetUtilization). */
export function demandUnits(
  trace: DemandTrace,
  unitCapacity: number,
  targetUtilization: number,
): Float64Array {
  const k = 1 / (unitCapacity * targetUtilization);
  const out = new Float64Array(trace.values.length);
  for (let i = 0; i < out.length; i++) out[i] = (trace.values[i] as number) * k;
  return out;
}

/**
 * The trace on a `stepMs` grid: a coarser trace is interpolated linearly between observations (a
 * smooth 5-minute world), a finer one is averaged over each step.
 */
export function onGrid(trace: DemandTrace, stepMs: number): DemandTrace {
  if (trace.intervalMs === stepMs) return trace;
  const startMs = Math.ceil(trace.startMs / stepMs) * stepMs;
  const endMs = trace.startMs + (trace.values.length - 1) * trace.intervalMs;
  const n = Math.floor((endMs - startMs) / stepMs) + 1;
  if (n < 2) {
    throw new ValidationError(`trace ${trace.name}: shorter than two ${stepMs / 60_000}-minute steps`, [
      { path: 'trace', message: 'too short', received: trace.values.length },
    ]);
  }
  const values = new Float64Array(n);
  const at = (ms: number): number => {
    const x = (ms - trace.startMs) / trace.intervalMs;
    const i = Math.min(trace.values.length - 2, Math.max(0, Math.floor(x)));
    const f = Math.min(1, Math.max(0, x - i));
    return (trace.values[i] as number) * (1 - f) + (trace.values[i + 1] as number) * f;
  };
  for (let k = 0; k < n; k++) {
    const from = startMs + k * stepMs;
    if (trace.intervalMs > stepMs) values[k] = at(from);
    else {
      // Average the observations inside the step.
      let sum = 0;
      let count = 0;
      for (let ms = from; ms < from + stepMs; ms += trace.intervalMs) {
        sum += at(ms);
        count++;
      }
      values[k] = sum / count;
    }
  }
  return { name: trace.name, startMs, intervalMs: stepMs, values };
}
