import type { RegionalHealthSource, StandbyPool } from '../ports/regions';
import type { Repositories } from '../ports/repositories';
import type { Prediction } from '../schemas/series';
import type { Workload } from '../schemas/workload';
import { forecastRisk, HEALTHY } from './health';
import { planStandby, type StandbyDecision } from './standby';

export interface StandbyPrewarmPorts {
  standby: StandbyPool;
  operations: Pick<Repositories['operations'], 'listByWorkload'>;
  /** Optional: when given, a home region failing its health check right now also raises the standby. */
  health?: RegionalHealthSource;
}

export interface StandbyPrewarmResult extends StandbyDecision {
  region: string;
  previousDesired: number;
  standbyWeight: number;
}

/**
 * Share of traffic on the standby region, from the newest failover/failback operation: a running
 * or finished failover leaves traffic there (its last verified weights); a finished failback or
 * none leaves it home. Read from the operations table, so pre-warm needs no DNS permission.
 */
export async function standbyTrafficShare(
  workloadId: string,
  operations: StandbyPrewarmPorts['operations'],
): Promise<number> {
  const page = await operations.listByWorkload(workloadId, { limit: 20 });
  const last = page.items.find((op) => op.kind === 'failover' || op.kind === 'failback');
  if (!last) return 0;
  if (last.status === 'running') return Math.max(1, last.lastVerifiedWeights?.shadow ?? 0);
  return last.lastVerifiedWeights?.shadow ?? 0;
}

/**
 * The standby's leg of the pre-warm path: after each forecast, hold the standby at its calm size or
 * raise it ahead of a predicted regional shortfall (see `planStandby`). Scale-in back to calm only
 * with no traffic on the standby and no regional operation running.
 */
export async function prewarmStandby(
  workload: Workload,
  predictions: readonly Prediction[],
  ports: StandbyPrewarmPorts,
  nowMs: number,
): Promise<StandbyPrewarmResult | undefined> {
  const region = workload.regions.standby;
  if (!workload.failover || !region) return undefined;
  const [status, standbyWeight] = await Promise.all([
    ports.standby.describe(workload),
    standbyTrafficShare(workload.workloadId, ports.operations),
  ]);
  const risk = forecastRisk(workload, predictions, nowMs);
  const decision = planStandby({
    workload,
    risk,
    home: HEALTHY(nowMs),
    standbyWeight,
    currentDesired: status.desired,
  });
  if (decision.action !== 'hold') await ports.standby.scale(workload, decision.desired);
  return { ...decision, region, previousDesired: status.desired, standbyWeight };
}
