import { z } from 'zod';
import type { SignalRepository } from '../../shared/ports/repositories';
import { Signal } from '../../shared/schemas/signal';
import { parseOrThrow } from '../../shared/validation';

/**
 * A `Signal Scheduled` event from any other system (CI/CD, campaign tools, calendars, any numeric
 * feed) as the EventBridge rule delivers it, or a bare signal (direct invocation, CLI).
 */
export const IngestSignalInput = z.union([
  z.looseObject({
    source: z.string().min(1),
    'detail-type': z.literal('Signal Scheduled'),
    detail: Signal,
  }),
  Signal,
]);

export interface IngestSignalResult {
  signalId: string;
  tag: string;
  workloadId?: string;
  startsAt: number;
  endsAt: number;
}

/**
 * Validate and store one signal. Idempotent: the repository keys signals by `signalId`, so an
 * event EventBridge delivers twice (at-least-once) or a sender retries is stored once.
 */
export async function runIngestSignal(
  input: unknown,
  ports: { repositories: { signals: Pick<SignalRepository, 'put'> } },
): Promise<IngestSignalResult> {
  return ingestSignal(parseOrThrow(IngestSignalInput, input, 'Signal Scheduled event'), ports);
}

/** `runIngestSignal` for an event already parsed (the handler's parser middleware). */
export async function ingestSignal(
  parsed: z.output<typeof IngestSignalInput>,
  ports: { repositories: { signals: Pick<SignalRepository, 'put'> } },
): Promise<IngestSignalResult> {
  const signal = 'detail-type' in parsed ? parsed.detail : parsed;
  await ports.repositories.signals.put(signal);
  return {
    signalId: signal.signalId,
    tag: signal.tag,
    ...(signal.workloadId ? { workloadId: signal.workloadId } : {}),
    startsAt: signal.startsAt,
    endsAt: signal.endsAt,
  };
}
