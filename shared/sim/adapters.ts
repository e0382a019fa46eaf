import { NotFoundError } from '../errors';
import type { ComputePool, PoolRole, PoolStatus, ShadowSpec, VersionedPool } from '../ports/compute';
import { type Meter, noMeter } from '../ports/meter';
import {
  HEALTH_METRICS_PER_READ,
  type MetricQuery,
  type MetricQueryResult,
  type MetricsSource,
  type TargetHealthResult,
  type TargetHealthSource,
} from '../ports/metrics';
import type { TrafficRouter } from '../ports/traffic';
import type { TrafficWeights } from '../schemas/operation';
import type { Workload, WorkloadMetric } from '../schemas/workload';
import type { SimFleet, SimWorkload } from './fleet';

/**
 * The ports over a SimFleet. Every call first honours an injected throttle (TransientError) and
 * remembers the Workload it was given, so later metric and target-health reads can resolve it.
 */

function bind(fleet: SimFleet, workload: Workload): SimWorkload {
  const w = fleet.get(workload.workloadId);
  w.workload = workload;
  return w;
}

export class SimComputePool implements ComputePool, VersionedPool {
  constructor(private readonly fleet: SimFleet) {}

  async describe(workload: Workload, role: PoolRole): Promise<PoolStatus> {
    this.fleet.checkThrottle('describe');
    bind(this.fleet, workload);
    return this.fleet.describe(workload.workloadId, role);
  }

  async scale(workload: Workload, role: PoolRole, desired: number): Promise<void> {
    this.fleet.checkThrottle('scale');
    bind(this.fleet, workload);
    this.fleet.setDesired(workload.workloadId, role, desired);
  }

  async setFloor(workload: Workload, role: PoolRole, floor: number): Promise<void> {
    this.fleet.checkThrottle('setFloor');
    bind(this.fleet, workload);
    this.fleet.setFloor(workload.workloadId, role, floor);
  }

  async ensureShadow(workload: Workload, spec: ShadowSpec): Promise<PoolStatus> {
    this.fleet.checkThrottle('ensureShadow');
    bind(this.fleet, workload);
    const status = this.fleet.ensureShadow(workload.workloadId, spec.units);
    if (spec.version !== undefined) this.fleet.setVersion(workload.workloadId, 'shadow', spec.version);
    return status;
  }

  async version(workload: Workload, role: PoolRole): Promise<string | undefined> {
    this.fleet.checkThrottle('version');
    bind(this.fleet, workload);
    return this.fleet.version(workload.workloadId, role);
  }

  async deploy(workload: Workload, role: PoolRole, version: string): Promise<void> {
    this.fleet.checkThrottle('deploy');
    bind(this.fleet, workload);
    this.fleet.setVersion(workload.workloadId, role, version);
  }

  async deleteShadow(workload: Workload): Promise<void> {
    this.fleet.checkThrottle('deleteShadow');
    bind(this.fleet, workload);
    this.fleet.deleteShadow(workload.workloadId);
  }
}

export class SimTrafficRouter implements TrafficRouter {
  constructor(private readonly fleet: SimFleet) {}

  async getWeights(workload: Workload): Promise<TrafficWeights> {
    this.fleet.checkThrottle('getWeights');
    bind(this.fleet, workload);
    return this.fleet.getWeights(workload.workloadId);
  }

  /** Refuses (NotReadyError) a weight on a pool with no ready unit; ValidationError unless the sum is 100. */
  async setWeights(workload: Workload, weights: TrafficWeights): Promise<void> {
    this.fleet.checkThrottle('setWeights');
    bind(this.fleet, workload);
    this.fleet.setWeights(workload.workloadId, weights);
  }

  async healthyTargets(workload: Workload, role: PoolRole): Promise<number> {
    this.fleet.checkThrottle('healthyTargets');
    bind(this.fleet, workload);
    return this.fleet.describe(workload.workloadId, role).ready;
  }
}

function sameMetric(a: WorkloadMetric, b: WorkloadMetric): boolean {
  if (a.name !== b.name || a.namespace !== b.namespace || a.metricName !== b.metricName) return false;
  const ka = Object.keys(a.dimensions).sort();
  const kb = Object.keys(b.dimensions).sort();
  return ka.length === kb.length && ka.every((k, i) => k === kb[i] && a.dimensions[k] === b.dimensions[k]);
}

/**
 * Metrics of the simulated demand. Each workload metric is published as the offered demand
 * expressed in that metric's own unit (value = demand / unitCapacity × metric.capacityPerUnit), so
 * value / capacityPerUnit is the units needed at 100% for every metric of a workload. One point per
 * fleet step, stamped at the step start, visible from step end + metric delay; "no data" when the
 * window holds no visible step.
 */
export class SimMetricsSource implements MetricsSource {
  /** `meter` counts what CloudWatch would bill the same reads (see the CloudWatch adapter). */
  constructor(
    private readonly fleet: SimFleet,
    private readonly meter?: Meter,
  ) {}

  async fetch(queries: readonly MetricQuery[]): Promise<MetricQueryResult[]> {
    this.fleet.checkThrottle('fetch');
    if (this.meter && queries.length > 0) {
      // GetMetricData takes 500 queries a request and bills each metric requested.
      this.meter.add('cloudwatch.metrics-requested', queries.length);
      this.meter.add(
        'cloudwatch.get-metric-data-calls',
        Math.ceil(queries.length / GET_METRIC_DATA_MAX_QUERIES),
      );
    }
    return queries.map((q) => this.one(q));
  }

  private find(metric: WorkloadMetric): SimWorkload | undefined {
    return this.fleet.list().find((w) => w.workload?.metrics.some((m) => sameMetric(m, metric)));
  }

  private one(query: MetricQuery): MetricQueryResult {
    const w = this.find(query.metric);
    if (!w) throw new NotFoundError(`no simulated workload publishes metric ${query.metric.name}`);
    const visible = this.fleet.visibleSteps(w.id);
    const h = w.history;
    const scale = query.metric.capacityPerUnit / w.unitCapacity;
    const points: { t: number; v: number }[] = [];
    // Steps are in time order: start at the first one inside the window (a replay of months reads
    // a few new points per step, never the whole history).
    let lo = 0;
    let hi = visible;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if ((h.t[mid] as number) < query.startMs) lo = mid + 1;
      else hi = mid;
    }
    for (let i = lo; i < visible; i++) {
      const t = h.t[i] as number;
      if (t >= query.endMs) break;
      points.push({ t, v: (h.demand[i] as number) * scale });
    }
    if (points.length === 0) return { id: query.id, kind: 'no-data' };
    return { id: query.id, kind: 'data', points, complete: true };
  }
}

/**
 * Health-gate metrics per target group, from the samples in [now - delay - window, now - delay)
 * that are complete and published: one-minute samples, as ALB publishes them (the fleet keeps them
 * inside steps longer than a minute), else the fleet's steps. No requests in the window is
 * "no data", never zeros.
 */
export class SimTargetHealthSource implements TargetHealthSource {
  constructor(
    private readonly fleet: SimFleet,
    private readonly meter: Meter = noMeter,
  ) {}

  async read(
    targetGroupArn: string,
    _loadBalancerDimension: string | undefined,
    windowSeconds: number,
  ): Promise<TargetHealthResult> {
    this.fleet.checkThrottle('read');
    let found: { w: SimWorkload; role: PoolRole } | undefined;
    for (const w of this.fleet.list()) {
      if (w.workload?.traffic.primaryTargetGroupArn === targetGroupArn) found = { w, role: 'primary' };
      else if (w.workload?.traffic.shadowTargetGroupArn === targetGroupArn) found = { w, role: 'shadow' };
    }
    if (!found) throw new NotFoundError(`no simulated workload has target group ${targetGroupArn}`);
    const { w, role } = found;
    // The deployed source asks for the five ALB metrics in one GetMetricData request.
    this.meter.add('cloudwatch.metrics-requested', HEALTH_METRICS_PER_READ);
    this.meter.add('cloudwatch.get-metric-data-calls', 1);
    const now = this.fleet.now();
    const windowEnd = now - w.metricDelayMs;
    const windowStart = windowEnd - windowSeconds * 1000;
    // ALB publishes per minute: a fleet stepping in longer steps keeps minute samples for this.
    const fine = w.minutes.t.length > 0;
    const h = fine ? w.minutes : w.history;
    const step = fine ? 60_000 : this.fleet.stepMs;
    let requests = 0;
    let errors = 0;
    let p99: number | undefined;
    for (let i = h.t.length - 1; i >= 0; i--) {
      const t = h.t[i] as number;
      if (t + step <= windowStart) break;
      if (t + step > windowEnd) continue;
      const r = (role === 'primary' ? h.requestsPrimary[i] : h.requestsShadow[i]) as number;
      if (r <= 0) continue;
      requests += r;
      errors += (role === 'primary' ? h.errorsPrimary[i] : h.errorsShadow[i]) as number;
      const l = (role === 'primary' ? h.p99Primary[i] : h.p99Shadow[i]) as number;
      p99 = p99 === undefined ? l : Math.max(p99, l);
    }
    if (requests <= 0) {
      return {
        kind: 'no-data',
        reason: `no requests reached the ${role} target group in the last ${windowSeconds}s`,
      };
    }
    const status = this.fleet.describe(w.id, role);
    const pool = w.pool(role);
    return {
      kind: 'data',
      sample: {
        requestCount: requests,
        errors5xx: errors,
        p99LatencyMs: p99,
        unhealthyHosts: pool.stuck,
        healthyHosts: status.ready,
      },
    };
  }
}

/** GetMetricData's per-request limit (shared/aws/cloudwatch-metrics.ts). */
const GET_METRIC_DATA_MAX_QUERIES = 500;

/** The four ports over one fleet. */
export function simPorts(
  fleet: SimFleet,
  meter?: Meter,
): {
  compute: SimComputePool;
  traffic: SimTrafficRouter;
  metrics: SimMetricsSource;
  targetHealth: SimTargetHealthSource;
} {
  return {
    compute: new SimComputePool(fleet),
    traffic: new SimTrafficRouter(fleet),
    metrics: new SimMetricsSource(fleet, meter),
    targetHealth: new SimTargetHealthSource(fleet, meter),
  };
}
