import type { StageRunRecord } from '../data/stage-history';

/** One stored stage/action/build run with what the store needs to apply the next event safely. */
export interface StoredStageRun {
  record: StageRunRecord;
  /** 0 when the run is not stored yet. */
  version: number;
  /** EventBridge ids already applied to this run (newest last, bounded): a redelivery is seen. */
  eventIds: string[];
}

/**
 * The history of pipeline stages, actions and builds (shared/data/stage-history.ts): one record
 * per run, updated by each of its state-change events.
 */
export interface StageHistoryStore {
  get(pk: string, sk: string): Promise<StoredStageRun | undefined>;
  /** Write if the stored version is `expectedVersion` (0: absent); ConflictError otherwise. */
  put(record: StageRunRecord, eventIds: readonly string[], expectedVersion: number): Promise<void>;
  /** Runs of one stage, action or build project (`pk`), up to `limit`, in no particular order. */
  runs(pk: string, limit?: number): Promise<StageRunRecord[]>;
}
