import { z } from 'zod';
import { type FanoutPlan, planFanout } from '../../shared/forecaster';
import type { WorkloadRepository } from '../../shared/ports/repositories';
import { parseOrThrow } from '../../shared/validation';

/**
 * Input of the fan-out's first state: `{ "input": <execution input> }`. The execution input is an
 * EventBridge schedule event (anything with `source`) or `{ fullRefit?, batchSize?, threshold? }`
 * from an operator starting the state machine by hand.
 */
export const ListWorkloadsInput = z.strictObject({
  input: z.union([
    z.strictObject({
      fullRefit: z.boolean().optional(),
      batchSize: z.number().int().min(1).max(1_000).optional(),
      threshold: z.number().int().min(0).optional(),
    }),
    z.looseObject({ source: z.string(), 'detail-type': z.string() }),
  ]),
});

export async function runListWorkloads(
  input: unknown,
  ports: { repositories: { workloads: Pick<WorkloadRepository, 'list'> } },
): Promise<FanoutPlan> {
  const parsed = parseOrThrow(ListWorkloadsInput, input, 'fan-out input').input;
  const options = 'source' in parsed ? {} : parsed;
  return planFanout(ports.repositories.workloads, {
    ...(options.fullRefit !== undefined ? { fullRefit: options.fullRefit } : {}),
    ...(options.batchSize !== undefined ? { batchSize: options.batchSize } : {}),
    ...(options.threshold !== undefined ? { threshold: options.threshold } : {}),
  });
}
