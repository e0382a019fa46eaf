import { z } from 'zod';
import type { Clock } from '../../shared/clock';
import { NotFoundError } from '../../shared/errors';
import {
  prewarmStandby,
  type StandbyPrewarmPorts,
  type StandbyPrewarmResult,
} from '../../shared/failover/prewarm-standby';
import { type PrewarmDecision, planPrewarm } from '../../shared/planning/prewarm';
import type { ComputePool } from '../../shared/ports/compute';
import type { Repositories } from '../../shared/ports/repositories';
import { WorkloadId } from '../../shared/schemas/common';
import type { Prediction } from '../../shared/schemas/series';
import { parseOrThrow } from '../../shared/validation';

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

export interface PrewarmResult extends PrewarmDecision {
  workloadId: string;
  previousDesired: number;
  /** The standby region's leg, for workloads with failover configured and a standby port. */
  standby?: StandbyPrewarmResult;
}

export interface PrewarmPorts {
  clock: Clock;
  repositories: Pick<Repositories, 'workloads' | 'predictions'>;
  compute: ComputePool;
  standby?: StandbyPrewarmPorts;
}

/** Read the workload and its latest forecasts, plan, and scale the primary out when needed. */
export async function runPrewarm(input: unknown, ports: PrewarmPorts): Promise<PrewarmResult> {
  const parsed = parseOrThrow(PrewarmInput, input, 'prewarm input');
  const workloadId = 'detail' in parsed ? parsed.detail.workloadId : parsed.workloadId;
  const record = await ports.repositories.workloads.get(workloadId);
  if (!record) throw new NotFoundError(`workload ${workloadId} is not registered`);
  const { workload } = record;
  const predictions = (
    await Promise.all(
      workload.metrics.map((m) => ports.repositories.predictions.getLatest(workloadId, m.name)),
    )
  ).filter((p): p is Prediction => p !== undefined);
  const status = await ports.compute.describe(workload, 'primary');
  const decision = planPrewarm(workload, predictions, status.desired, ports.clock.now());
  if (decision.action === 'scale-out') await ports.compute.scale(workload, 'primary', decision.desired);
  const standby = ports.standby
    ? await prewarmStandby(workload, predictions, ports.standby, ports.clock.now())
    : undefined;
  return { workloadId, previousDesired: status.desired, ...decision, ...(standby ? { standby } : {}) };
}
