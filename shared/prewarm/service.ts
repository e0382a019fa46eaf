import { z } from 'zod';
import type { Clock } from '../clock';
import { NotFoundError } from '../errors';
import {
  prewarmStandby,
  type StandbyPrewarmPorts,
  type StandbyPrewarmResult,
} from '../failover/prewarm-standby';
import { type PoolPlan, type PoolState, planPools } from '../planning/prewarm';
import type { ComputePool } from '../ports/compute';
import type { Repositories } from '../ports/repositories';
import type { TrafficRouter } from '../ports/traffic';
import { WorkloadId } from '../schemas/common';
import type { Prediction } from '../schemas/series';
import { parseOrThrow } from '../validation';

/**
 * The pre-warm service: after every forecast, read the newest predictions and the pools, let the
 * planning core size both pools (`planPools`), and apply it: the primary's floor (raising it now
 * when below), and the shadow pool's size while it carries traffic and no operation runs.
 */

/**
 * Input: a `Forecast Computed` event from EventBridge (the rule's target), or a bare
 * `{ workloadId }` for a direct invocation.
 */
export const PrewarmInput = z.union([
  z.looseObject({
    'detail-type': z.literal('Forecast Computed'),
    detail: z.looseObject({ workloadId: WorkloadId }),
  }),
  z.strictObject({ workloadId: WorkloadId }),
]);
export type PrewarmInput = z.infer<typeof PrewarmInput>;

export interface PrewarmResult extends PoolPlan {
  workloadId: string;
  previousDesired: number;
  previousFloor?: number;
  /** The standby region's leg, for workloads with failover configured and a standby port. */
  standby?: StandbyPrewarmResult;
}

export interface PrewarmPorts {
  clock: Clock;
  repositories: Pick<Repositories, 'workloads' | 'predictions' | 'operations'>;
  compute: ComputePool;
  traffic: Pick<TrafficRouter, 'getWeights'>;
  standby?: StandbyPrewarmPorts;
}

/** Raw input (a CLI or a test): parsed, then `prewarmWorkload`. */
export async function runPrewarm(input: unknown, ports: PrewarmPorts): Promise<PrewarmResult> {
  return prewarmWorkload(workloadIdOf(parseOrThrow(PrewarmInput, input, 'prewarm input')), ports);
}

/** The workload an input names: the event's detail, or the bare request. */
export function workloadIdOf(input: PrewarmInput): string {
  return 'detail' in input ? input.detail.workloadId : input.workloadId;
}

/** Plan both pools of one workload from its newest forecast and apply the plan. */
export async function prewarmWorkload(workloadId: string, ports: PrewarmPorts): Promise<PrewarmResult> {
  const { repositories, compute } = ports;
  const record = await repositories.workloads.get(workloadId);
  if (!record) throw new NotFoundError(`workload ${workloadId} is not registered`);
  const { workload } = record;
  const nowMs = ports.clock.now();
  const [predictions, primary, shadow, weights, operation] = await Promise.all([
    Promise.all(workload.metrics.map((m) => repositories.predictions.getLatest(workloadId, m.name))),
    compute.describe(workload, 'primary'),
    compute.describe(workload, 'shadow'),
    ports.traffic.getWeights(workload),
    runningOperation(repositories.operations, workloadId, nowMs),
  ]);
  const state: PoolState = {
    primaryDesired: primary.desired,
    shadow: { exists: shadow.exists, desired: shadow.desired },
    weights,
    ...(operation ? { operation } : {}),
  };
  const plan = planPools(
    workload,
    predictions.filter((p): p is Prediction => p !== undefined),
    state,
    nowMs,
  );
  // Without a forecast the floor stays where it is: no forecast is not a forecast of zero.
  if (plan.byMetric.length > 0) await compute.setFloor(workload, 'primary', plan.primaryFloor);
  if (plan.shadowDesired !== undefined) await compute.scale(workload, 'shadow', plan.shadowDesired);
  const standby = ports.standby
    ? await prewarmStandby(
        workload,
        predictions.filter((p): p is Prediction => p !== undefined),
        ports.standby,
        nowMs,
      )
    : undefined;
  return { workloadId, previousDesired: primary.desired, ...plan, ...(standby ? { standby } : {}) };
}

/** The kind of operation holding the workload's lease now, if any (it owns the shadow pool). */
async function runningOperation(
  operations: Repositories['operations'],
  workloadId: string,
  nowMs: number,
): Promise<'migration' | 'return' | undefined> {
  const lease = await operations.getLease(workloadId);
  if (!lease || lease.expiresAt <= nowMs) return undefined;
  const op = await operations.get(lease.holder);
  if (op?.status !== 'running') return undefined;
  // A deployment's shadow environment is its own, like a migration's shadow pool.
  if (op.kind === 'deployment') return 'migration';
  return op.kind === 'migration' || op.kind === 'return' ? op.kind : undefined;
}
