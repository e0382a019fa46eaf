import { z } from 'zod';
import { type FanoutPlan, planFanout } from '../../shared/forecaster';
import type { WorkloadRepository } from '../../shared/ports/repositories';
import { parseOrThrow } from '../../shared/validation';

/** The fan-out's first state passes `{ "input.$": "$" }`: the execution input, whatever it is. */
export const ListWorkloadsEnvelope = z.strictObject({ input: z.unknown() });

/** An execution started by hand: `{ fullRefit?, batchSize?, threshold? }`. */
export const FanoutRequest = z.strictObject({
  fullRefit: z.boolean().optional(),
  batchSize: z.number().int().min(1).max(1_000).optional(),
  threshold: z.number().int().min(0).optional(),
});

/** An execution started by the EventBridge schedule (the rule's default input is the event). */
const ScheduledEvent = z.looseObject({ source: z.string(), 'detail-type': z.string() });

export async function runListWorkloads(
  input: unknown,
  ports: { repositories: { workloads: Pick<WorkloadRepository, 'list'> } },
): Promise<FanoutPlan> {
  const execution = parseOrThrow(ListWorkloadsEnvelope, input, 'fan-out state input').input ?? {};
  const options = ScheduledEvent.safeParse(execution).success
    ? {}
    : parseOrThrow(FanoutRequest, execution, 'fan-out execution input');
  return planFanout(ports.repositories.workloads, {
    ...(options.fullRefit !== undefined ? { fullRefit: options.fullRefit } : {}),
    ...(options.batchSize !== undefined ? { batchSize: options.batchSize } : {}),
    ...(options.threshold !== undefined ? { threshold: options.threshold } : {}),
  });
}
