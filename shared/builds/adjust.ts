import type { ProfileQuantiles } from './predictor';
import { runtimeSeconds, workDone } from './speedup';

/**
 * Dynamic adjustment during a run, and borrow/lend inside one pipeline run's budget.
 *
 * Progress is read as work done so far (elapsed time through the speed-up model). While the work
 * done is inside the predicted interval the stage holds. Once it passes the planning quantile the
 * stage is over its profile: the remaining work is taken as at least the gap to the 90th
 * percentile and a quarter of what is done already (a stage that ran long usually runs longer),
 * and if that finish misses the deadline the stage asks for the smallest larger size that meets
 * it within the budget left, before it blocks the next stage. A stage far ahead of its profile
 * (predicted finish with a smaller size still inside the deadline with the margin) releases.
 * "Size" is agents/vCPUs given to the stage: extra test shards or batch-build members for a
 * CodeBuild stage (a running build cannot change its compute type), task count for ECS.
 */

export interface StageProgress {
  elapsedSeconds: number;
  vcpu: number;
  parallelFraction: number;
  agentSeconds: ProfileQuantiles;
  /** Seconds from the stage's start by which it should finish. */
  deadlineSeconds: number;
}

export interface AdjustOptions {
  /** Sizes (vCPUs) that can be requested, ascending. */
  sizes: readonly number[];
  budgetLeftUsd: number;
  usdPerVcpuSecond: number;
  /** Fraction of the deadline kept free before releasing capacity. @default 0.3 */
  releaseMargin?: number;
}

export interface Adjustment {
  action: 'hold' | 'scale-up' | 'release';
  vcpu: number;
  predictedFinishSeconds: number;
  reason: string;
}

/** Remaining work (reference agent-seconds) given progress against the profile. */
export function remainingWork(done: number, q: ProfileQuantiles): number {
  if (done < q.q50) return q.q50 - done + 0; // expected median path
  if (done < q.q80) return Math.max(q.q80 - done, 0.1 * done);
  return Math.max(q.q90 - done, 0.25 * done);
}

export function adjust(p: StageProgress, o: AdjustOptions): Adjustment {
  const done = workDone(p.elapsedSeconds, p.parallelFraction, p.vcpu);
  const left = remainingWork(done, p.agentSeconds);
  const finishAt = (vcpu: number) => p.elapsedSeconds + runtimeSeconds(left, p.parallelFraction, vcpu);
  const current = finishAt(p.vcpu);
  const extraCost = (vcpu: number) =>
    Math.max(0, vcpu - p.vcpu) * runtimeSeconds(left, p.parallelFraction, vcpu) * o.usdPerVcpuSecond;
  if (current > p.deadlineSeconds && done >= p.agentSeconds.q50) {
    const bigger = o.sizes.find(
      (v) => v > p.vcpu && finishAt(v) <= p.deadlineSeconds && extraCost(v) <= o.budgetLeftUsd,
    );
    if (bigger !== undefined)
      return {
        action: 'scale-up',
        vcpu: bigger,
        predictedFinishSeconds: finishAt(bigger),
        reason: `over profile: ${Math.round(current)} s > deadline ${Math.round(p.deadlineSeconds)} s at ${p.vcpu} vCPU`,
      };
    const affordable = [...o.sizes].reverse().find((v) => v > p.vcpu && extraCost(v) <= o.budgetLeftUsd);
    if (affordable !== undefined)
      return {
        action: 'scale-up',
        vcpu: affordable,
        predictedFinishSeconds: finishAt(affordable),
        reason: 'over profile: the deadline cannot be met; the largest size the budget allows',
      };
    return {
      action: 'hold',
      vcpu: p.vcpu,
      predictedFinishSeconds: current,
      reason: 'over profile but no budget left to add capacity',
    };
  }
  const margin = (o.releaseMargin ?? 0.3) * p.deadlineSeconds;
  const smaller = o.sizes.filter((v) => v < p.vcpu && finishAt(v) <= p.deadlineSeconds - margin)[0];
  if (smaller !== undefined && current <= p.deadlineSeconds)
    return {
      action: 'release',
      vcpu: smaller,
      predictedFinishSeconds: finishAt(smaller),
      reason: 'ahead of profile: a smaller size still meets the deadline with margin',
    };
  return { action: 'hold', vcpu: p.vcpu, predictedFinishSeconds: current, reason: 'within profile' };
}

/** One stage of a pipeline run in the run's budget ledger. */
export interface LedgerStage {
  stage: string;
  /** USD set aside for the stage (its planned cost). */
  committedUsd: number;
  /** USD spent so far. */
  spentUsd: number;
  done: boolean;
  /** Seconds the stage is behind its predicted median finish (negative when ahead). */
  behindSeconds: number;
}

export interface Lending {
  /** Credit freed by finished stages. */
  freedUsd: number;
  /** Stage receiving it, or undefined when no running stage is behind. */
  to?: string;
  /** The ledger with commitments moved. */
  stages: LedgerStage[];
}

/**
 * Capacity a stage releases early goes to the stage furthest behind its prediction: finished
 * stages' unspent commitments are freed and added to that stage's commitment. The run's total
 * never grows, so borrowing stays inside the run's budget.
 */
export function lend(stages: readonly LedgerStage[]): Lending {
  let freed = 0;
  const next = stages.map((s) => {
    if (!s.done || s.committedUsd <= s.spentUsd) return { ...s };
    freed += s.committedUsd - s.spentUsd;
    return { ...s, committedUsd: s.spentUsd };
  });
  const behind = next
    .filter((s) => !s.done && s.behindSeconds > 0)
    .sort((a, b) => b.behindSeconds - a.behindSeconds)[0];
  if (!behind || freed <= 0) return { freedUsd: 0, stages: stages.map((s) => ({ ...s })) };
  behind.committedUsd += freed;
  return { freedUsd: freed, to: behind.stage, stages: next };
}
