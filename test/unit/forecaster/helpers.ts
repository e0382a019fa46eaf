import { ManualClock } from '../../../shared/clock';
import type { ForecasterPorts } from '../../../shared/forecaster';
import { engine } from '../../../shared/model';
import type { ForecastEngine, ModelState } from '../../../shared/model/api';
import type { MetricQuery, MetricQueryResult, MetricsSource } from '../../../shared/ports/metrics';
import {
  type Workload,
  type WorkloadInput,
  Workload as WorkloadSchema,
} from '../../../shared/schemas/workload';
import { MemoryEventPublisher } from '../../../shared/sim/memory-events';
import { makeMemoryRepositories } from '../../../shared/sim/memory-repositories';
import { epochAhead, WEEK_MS } from '../../helpers/epoch';
import { workloadInput } from '../../helpers/fixtures';

export const PERIOD = 300_000;
// A Thursday 00:00 UTC ahead of the wall clock: a period boundary, and every TTL the forecaster
// writes from it is in the future on any date (a store with real TTL deletes expired items).
export const T0 = epochAhead(WEEK_MS);

/**
 * Demand per series, keyed `workloadId/metric` (the forecaster's query id): a function of time, or
 * undefined for "no data". Points are published up to `visibleUntil` (exclusive).
 */
export class FunctionMetricsSource implements MetricsSource {
  readonly queries: MetricQuery[][] = [];
  visibleUntil = 0;
  constructor(
    readonly demand: Map<string, (t: number) => number | undefined>,
    readonly failFor: Set<string> = new Set(),
  ) {}

  async fetch(queries: readonly MetricQuery[]): Promise<MetricQueryResult[]> {
    this.queries.push([...queries]);
    const bad = queries.find((q) => this.failFor.has(q.id));
    if (bad) throw Object.assign(new Error(`no such metric ${bad.id}`), { name: 'NotFoundError' });
    return queries.map((q) => {
      const f = this.demand.get(q.id);
      const points: { t: number; v: number }[] = [];
      const step = q.metric.periodSeconds * 1000;
      const first = Math.ceil(q.startMs / step) * step;
      for (let t = first; t < Math.min(q.endMs, this.visibleUntil); t += step) {
        const v = f?.(t);
        if (v !== undefined) points.push({ t, v });
      }
      return points.length === 0
        ? { id: q.id, kind: 'no-data' }
        : { id: q.id, kind: 'data', points, complete: true };
    });
  }
}

/** A workload from the checkout fixture: requests (cap 84,000 at max) and cpu (cap 1,400). */
export function workload(id: string, patch: (w: WorkloadInput) => void = () => {}): Workload {
  const input = workloadInput();
  input.workloadId = id;
  patch(input);
  return WorkloadSchema.parse(input);
}

interface NaiveState extends ModelState {
  last: number;
}

/**
 * A transparent engine for wiring tests: it forecasts the last observed value flat, at every
 * quantile, so a test controls the score exactly. The real engine is tested in test/unit/forecast.
 */
export const lastValueEngine: ForecastEngine = {
  clean: engine.clean,
  fit(series) {
    const last = lastFinite(series.values);
    return {
      format: 1,
      model: 'last-value',
      intervalMs: series.intervalMs,
      lastPointMs: series.startMs + (series.values.length - 1) * series.intervalMs,
      fittedAtMs: series.startMs + (series.values.length - 1) * series.intervalMs,
      confidence: 'high',
      last,
    } satisfies NaiveState;
  },
  update(state, newer) {
    const s = state as NaiveState;
    const last = newer.values.some(Number.isFinite) ? lastFinite(newer.values) : s.last;
    return { ...s, last, lastPointMs: newer.startMs + (newer.values.length - 1) * newer.intervalMs };
  },
  forecast(state, options) {
    const s = state as NaiveState;
    const values = Array.from({ length: options.horizonSteps }, () => s.last);
    return {
      startMs: s.lastPointMs + s.intervalMs,
      intervalMs: s.intervalMs,
      point: values,
      quantiles: options.quantiles.map((q) => ({ q, values: values.slice() })),
      model: s.model,
      confidence: 'high',
      appliedSignals: [],
    };
  },
  needsRefit: () => false,
};

function lastFinite(values: readonly number[]): number {
  for (let i = values.length - 1; i >= 0; i--) if (Number.isFinite(values[i])) return values[i] as number;
  return Number.NaN;
}

export function harness(startMs = T0) {
  const clock = new ManualClock(startMs);
  const repositories = makeMemoryRepositories({ clock });
  const events = new MemoryEventPublisher();
  const demand = new Map<string, (t: number) => number | undefined>();
  const metrics = new FunctionMetricsSource(demand);
  const ports: ForecasterPorts = { clock, repositories, events, metrics };
  /** Advance the clock; points are visible up to the clock (the forecaster only reads settled ones). */
  const at = (ms: number) => {
    clock.set(ms);
    metrics.visibleUntil = ms;
  };
  at(startMs);
  return { clock, repositories, events, metrics, demand, ports, at };
}
