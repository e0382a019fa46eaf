import { WeightMismatchError } from '../errors';
import type { TrafficRouter } from '../ports/traffic';
import { TrafficWeights } from '../schemas/operation';
import type { Workload } from '../schemas/workload';
import { parseOrThrow } from '../validation';
import { assertRoutable, sameWeights } from './weights';

/**
 * Write weights, read them back and compare before anything else moves: a write is not in
 * effect until it reads back (the argo-rollouts SetWeight/VerifyWeight contract). Refuses
 * (NoHealthyTargetsError) to put weight on a target group with no healthy target, and throws
 * WeightMismatchError when the read-back differs. Returns the verified weights.
 */
export async function setAndVerify(
  router: TrafficRouter,
  workload: Workload,
  weights: TrafficWeights,
): Promise<TrafficWeights> {
  const wanted = parseOrThrow(TrafficWeights, weights, 'traffic weights');
  const [primary, shadow] = await Promise.all([
    wanted.primary > 0 ? router.healthyTargets(workload, 'primary') : Promise.resolve(1),
    wanted.shadow > 0 ? router.healthyTargets(workload, 'shadow') : Promise.resolve(1),
  ]);
  assertRoutable(wanted, { primary, shadow });
  await router.setWeights(workload, wanted);
  const read = await router.getWeights(workload);
  if (!sameWeights(read, wanted)) {
    throw new WeightMismatchError(
      `workload ${workload.workloadId}: wrote primary/shadow ${wanted.primary}/${wanted.shadow} but read back ${read.primary}/${read.shadow}`,
    );
  }
  return read;
}
