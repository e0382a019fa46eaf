import type { StageRunRecord } from '../data/stage-history';
import { EVENT_IDS_KEPT } from '../data/stage-history';
import { ConflictError } from '../errors';
import type { StageHistoryStore, StoredStageRun } from '../ports/stage-history';

/** The stage history in memory (the local run and the tests), with the DynamoDB store's contract. */
export class MemoryStageHistoryStore implements StageHistoryStore {
  readonly items = new Map<string, StoredStageRun>();
  /** Writes that reached the store (a redelivered event must not add one). */
  writes = 0;

  async get(pk: string, sk: string): Promise<StoredStageRun | undefined> {
    const item = this.items.get(`${pk}\u0000${sk}`);
    return item ? structuredClone(item) : undefined;
  }

  async put(record: StageRunRecord, eventIds: readonly string[], expectedVersion: number): Promise<void> {
    const key = `${record.pk}\u0000${record.sk}`;
    const current = this.items.get(key)?.version ?? 0;
    if (current !== expectedVersion)
      throw new ConflictError(
        `stage run ${record.pk}/${record.sk} changed (expected version ${expectedVersion})`,
      );
    this.writes++;
    this.items.set(
      key,
      structuredClone({ record, version: expectedVersion + 1, eventIds: eventIds.slice(-EVENT_IDS_KEPT) }),
    );
  }

  async runs(pk: string, limit = 100): Promise<StageRunRecord[]> {
    return [...this.items.values()]
      .filter((item) => item.record.pk === pk)
      .slice(0, limit)
      .map((item) => structuredClone(item.record));
  }
}
