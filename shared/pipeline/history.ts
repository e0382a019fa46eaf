import type { StageRunRecord } from '../data/stage-history';
import { ConflictError } from '../errors';
import type { StageHistoryStore } from '../ports/stage-history';
import { applyStageEvent, type PipelineEvent, recordKey } from './events';

export type RecordOutcome =
  | { outcome: 'stored'; record: StageRunRecord }
  | { outcome: 'duplicate'; pk: string; sk: string; eventId: string };

/** Concurrent events of one run (EventBridge delivers in parallel) race on the version; a few re-reads settle it. */
const ATTEMPTS = 5;

/**
 * Folds one parsed CodePipeline/CodeBuild event into its run's stored record. An event already
 * applied (EventBridge delivers at least once) changes nothing and writes nothing; two events of
 * the same run arriving together both land (conditional put on the version, re-read on a lost race).
 */
export async function recordStageEvent(
  store: StageHistoryStore,
  event: PipelineEvent,
  nowMs: number,
): Promise<RecordOutcome> {
  const { pk, sk } = recordKey(event);
  let lastConflict: unknown;
  for (let attempt = 0; attempt < ATTEMPTS; attempt++) {
    const stored = await store.get(pk, sk);
    if (stored?.eventIds.includes(event.id)) return { outcome: 'duplicate', pk, sk, eventId: event.id };
    const record = applyStageEvent(stored?.record, event, nowMs);
    try {
      await store.put(record, [...(stored?.eventIds ?? []), event.id], stored?.version ?? 0);
      return { outcome: 'stored', record };
    } catch (error) {
      if (!(error instanceof ConflictError)) throw error;
      lastConflict = error;
    }
  }
  throw new ConflictError(`stage run ${pk}/${sk}: still changing after ${ATTEMPTS} attempts`, {
    cause: lastConflict,
  });
}
