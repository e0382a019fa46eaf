import { z } from 'zod';
import { type FanoutPlan, planFanout } from '../../shared/forecaster';
import type { WorkloadRepository } from '../../shared/ports/repositories';
import { parseOrThrow } from '../../shared/validation';

/** An execution started by hand: `{ fullRefit?, batchSize?, threshold? }`. */
export const FanoutRequest = z.strictObject({
  fullRefit: z.boolean().optional(),
  batchSize: z.number().int().min(1).max(1_000).optional(),
  threshold: z.number().int().min(0).optional(),
});

/** An execution started by the EventBridge schedule (the rule's default input is the event). */
const ScheduledEvent = z.looseObject({ source: z.string(), 'detail-type': z.string() });

/**
 * The fan-out's first state passes `{ "input.$": "$" }`: the execution input, which is a request,
 * a schedule event (fan out with the defaults) or null (an empty request).
 */
export const ListWorkloadsEnvelope = z.strictObject({
  input: z.union([FanoutRequest, ScheduledEvent]).nullable(),
});
export type ListWorkloadsEvent = z.output<typeof ListWorkloadsEnvelope>;

type ListPorts = { repositories: { workloads: Pick<WorkloadRepository, 'list'> } };

export async function runListWorkloads(input: unknown, ports: ListPorts): Promise<FanoutPlan> {
  return listWorkloads(parseOrThrow(ListWorkloadsEnvelope, input, 'fan-out state input'), ports);
}

/** `runListWorkloads` for an input already parsed (the handler's parser middleware). */
export async function listWorkloads(event: ListWorkloadsEvent, ports: ListPorts): Promise<FanoutPlan> {
  const options = event.input === null || 'source' in event.input ? {} : event.input;
  return planFanout(ports.repositories.workloads, {
    ...(options.fullRefit !== undefined ? { fullRefit: options.fullRefit } : {}),
    ...(options.batchSize !== undefined ? { batchSize: options.batchSize } : {}),
    ...(options.threshold !== undefined ? { threshold: options.threshold } : {}),
  });
}
