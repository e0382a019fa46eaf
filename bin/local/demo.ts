import { existsSync, readFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { ValidationError } from '../../shared/errors';
import { Workload } from '../../shared/schemas/workload';
import { parseTimestampValueCsv, repairLine } from '../../shared/series/csv';
import type { SimWorkloadOptions } from '../../shared/sim/fleet';
import {
  autoUnitCapacity,
  type DemandTrace,
  onGrid,
  quantileOf,
  traceFromPoints,
  traceRepairs,
} from '../../shared/sim/trace';
import { parseOrThrow } from '../../shared/validation';

/** The trace `npm start` replays: NYC taxi demand per 30 min (NAB, MIT; see NOTICE). */
export const DEFAULT_TRACE = join(__dirname, '..', '..', 'test', 'fixtures', 'traces', 'nab-nyc_taxi.csv');

/** The simulated world runs in 5-minute steps, like the CloudWatch periods the forecaster reads. */
export const SIM_STEP_MS = 300_000;

export const DEMO_WORKLOAD_ID = 'demo-api';

/**
 * The incident `npm start` injects into the replayed day's demand, so that the anomaly detector
 * and the `Anomaly Detected` lifecycle rule have something real to react to: 13 hours into the
 * first replayed day, demand drops to 30 % of the recorded trace for 45 minutes (an upstream
 * outage sending fewer requests). It changes the world the fleet serves, not what the forecaster
 * is shown; `--no-incident` replays the trace as recorded.
 */
export const DEMO_INCIDENT = { afterMs: 13 * 3_600_000, durationMs: 45 * 60_000, factor: 0.3 } as const;

/** The trace with the demo incident applied from `atMs` (values on the trace's own grid). */
export function injectIncident(trace: DemandTrace, atMs: number): DemandTrace {
  const values = trace.values.slice();
  const from = Math.ceil((atMs - trace.startMs) / trace.intervalMs);
  const to = Math.ceil((atMs + DEMO_INCIDENT.durationMs - trace.startMs) / trace.intervalMs);
  for (let i = Math.max(0, from); i < Math.min(values.length, to); i++)
    values[i] = (values[i] as number) * DEMO_INCIDENT.factor;
  return { ...trace, values };
}

/** Units the trace's p95 needs at target utilisation (the backtester's convention). */
const UNITS_AT_P95 = 20;
/**
 * The demo primary pool's maximum: below the trace's busiest hours, so the evening peaks cannot
 * be served by the primary alone and Shadowscale has to stand up a shadow pool for them.
 */
const PRIMARY_MAX_UNITS = 14;
const SHADOW_MAX_UNITS = 12;

/**
 * Read a `timestamp,value` CSV and resample it onto the simulation's 5-minute grid by linear
 * interpolation between observations (the world's demand, not a forecast: nothing downstream sees
 * a value before its time). A coarser trace becomes a smooth 5-minute one; a finer one is averaged.
 */
export function loadTrace(path: string, onRepairs?: (line: string) => void): DemandTrace {
  if (!existsSync(path)) {
    throw new ValidationError(`--trace ${path}: no such file`, [
      { path: '--trace', message: 'no such file', received: path },
    ]);
  }
  const points = parseTimestampValueCsv(readFileSync(path, 'utf8'), path);
  const { trace, report } = traceFromPoints(basename(path), points);
  const repaired = repairLine(path, points.length, traceRepairs(report));
  if (repaired) onRepairs?.(repaired);
  return onGrid(trace, SIM_STEP_MS);
}

export interface Demo {
  workload: Workload;
  sim: SimWorkloadOptions;
  unitCapacity: number;
}

/** The demo's on-call topic (simulated SNS locally). */
export const DEMO_TOPIC = 'arn:aws:sns:us-east-1:000000000000:demo-api-oncall';

/**
 * The demo workload over a trace: an ECS service behind an ALB (placeholder ARNs in the sandbox
 * account 000000000000: the simulator stands in for ECS, ALB and CloudWatch), one request metric,
 * a unit sized so that the trace's p95 needs 20 units at 70% utilisation, and a primary maximum of
 * 14 so that the busiest hours need a shadow pool.
 */
export function demoWorkload(trace: DemandTrace, options: { primaryMaxUnits?: number } = {}): Demo {
  const targetUtilization = 0.7;
  const unitCapacity = autoUnitCapacity(trace, targetUtilization, UNITS_AT_P95);
  const maxUnits = options.primaryMaxUnits ?? PRIMARY_MAX_UNITS;
  const minUnits = Math.max(
    1,
    Math.floor(quantileOf(trace.values, 0.05) / (unitCapacity * targetUtilization)),
  );
  const arn = (kind: string, name: string): string =>
    `arn:aws:elasticloadbalancing:us-east-1:000000000000:${kind}/${name}`;
  const workload = parseOrThrow(
    Workload,
    {
      workloadId: DEMO_WORKLOAD_ID,
      description: `Demo API replaying ${trace.name} (simulated ECS service behind an ALB)`,
      compute: { kind: 'ecs', cluster: 'local', service: DEMO_WORKLOAD_ID },
      traffic: {
        listenerArn: arn('listener', 'app/local-alb/0000000000000000/0000000000000000'),
        primaryTargetGroupArn: arn('targetgroup', 'demo-primary/0000000000000001'),
        shadowTargetGroupArn: arn('targetgroup', 'demo-shadow/0000000000000002'),
        loadBalancerDimension: 'app/local-alb/0000000000000000',
      },
      regions: { primary: 'us-east-1' },
      capacity: {
        minUnits,
        maxUnits,
        shadowMaxUnits: SHADOW_MAX_UNITS,
        targetUtilization,
        provisioningLagSeconds: 180,
        unitPricePerHour: 0.0496,
      },
      priority: 50,
      stateless: true,
      metrics: [
        {
          name: 'requests',
          namespace: 'AWS/ApplicationELB',
          metricName: 'RequestCount',
          dimensions: { LoadBalancer: 'app/local-alb/0000000000000000' },
          stat: 'Sum',
          periodSeconds: SIM_STEP_MS / 1000,
          capacityPerUnit: unitCapacity,
          quantile: 0.8,
        },
      ],
      contention: {
        threshold: 0.05,
        clearThreshold: 0.01,
        horizonSeconds: 3600,
        returnAfterClearSeconds: 900,
      },
      migration: { steps: [10, 25, 50, 100], bakeSeconds: 120, healthyTimeoutSeconds: 900 },
      // Lifecycle rules (SNS, EBS and CodeBuild are simulated locally): tell on-call when a shortage
      // is coming, start diagnostics on an anomaly, keep forensics of a rolled-back migration.
      lifecycle: [
        {
          name: 'contention-oncall',
          description: 'Tell on-call a shortage is coming and the shadow pool is taking the overflow',
          when: { events: ['Contention Predicted'] },
          if: { score: { min: 0.05 } },
          do: [{ type: 'notify', topicArn: DEMO_TOPIC }],
        },
        {
          name: 'anomaly-diagnostics',
          when: { events: ['Anomaly Detected'] },
          do: [
            { type: 'notify', topicArn: DEMO_TOPIC },
            { type: 'run-tests', target: { kind: 'codebuild', projectName: 'demo-api-diagnostics' } },
          ],
        },
        {
          name: 'rollback-forensics',
          when: { events: ['Migration Rolled Back'] },
          do: [
            { type: 'snapshot', pool: 'shadow', tags: { reason: 'migration-rolled-back' } },
            { type: 'notify', topicArn: DEMO_TOPIC },
          ],
        },
      ],
    },
    'demo workload',
  );
  const sim: SimWorkloadOptions = {
    workloadId: DEMO_WORKLOAD_ID,
    trace,
    unitCapacity,
    targetUtilization,
    lagMs: 180_000,
    metricDelayMs: 60_000,
    primary: { maxUnits, minUnits, pricePerUnitHour: 0.0496, initialUnits: minUnits },
    shadow: { maxUnits: SHADOW_MAX_UNITS, pricePerUnitHour: 0.0496 },
    workload,
  };
  return { workload, sim, unitCapacity };
}
