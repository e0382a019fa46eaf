import type { Clock } from '../clock';
import { NotFoundError, TransientError } from '../errors';
import type { EventPublisher } from '../ports/events';
import type { Repositories } from '../ports/repositories';
import type { ShadowscaleEvent } from '../schemas/events';
import type { Operation, OperationStep } from '../schemas/operation';
import type { Workload } from '../schemas/workload';

/**
 * The reads and writes every operation's tasks share (shadow-pool moves, regional failover,
 * deployment branches): the workload and the operation by id, one event, one timestamped step.
 */

export async function loadWorkload(
  deps: { repositories: Pick<Repositories, 'workloads'> },
  workloadId: string,
): Promise<Workload> {
  const record = await deps.repositories.workloads.get(workloadId);
  if (!record) throw new NotFoundError(`workload ${workloadId} is not registered`);
  return record.workload;
}

export async function loadOperation(
  deps: { repositories: Pick<Repositories, 'operations'> },
  operationId: string,
): Promise<Operation> {
  const op = await deps.repositories.operations.get(operationId);
  if (!op) throw new NotFoundError(`operation ${operationId} does not exist`);
  return op;
}

/** Publish one event; a refused entry throws TransientError so the state machine retries it. */
export async function publish(deps: { events: EventPublisher }, event: ShadowscaleEvent): Promise<void> {
  const result = await deps.events.publish([event]);
  const failed = result.failed[0];
  // Retried by the state machine; events are at-least-once, so a retry may publish twice.
  if (failed) throw new TransientError(`publishing ${event.detailType} failed: ${failed.error}`);
}

/** A step of an operation's history, stamped now. */
export function step(
  deps: { clock: Clock },
  name: string,
  detail: Record<string, unknown> = {},
): OperationStep {
  return { at: deps.clock.now(), name, detail };
}
