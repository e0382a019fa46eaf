import { documentClientFrom } from '../../shared/data/client';
import { makeDynamoStageHistoryStore } from '../../shared/data/stage-history';
import type { StageHistoryStore } from '../../shared/ports/stage-history';
import { clock } from './index';
import { dynamoDbClient, tableNames } from './repositories';

/**
 * The stage history store for handlers: stage, action and build runs in the predictions table,
 * built once per container on first use. Tests and the local run install another store with
 * `setStageHistoryStore`.
 */
let installed: StageHistoryStore | undefined;
let cached: StageHistoryStore | undefined;

export function stageHistoryStore(): StageHistoryStore {
  if (installed) return installed;
  cached ??= makeDynamoStageHistoryStore(documentClientFrom(dynamoDbClient()), tableNames().predictions, {
    now: () => clock().now(),
  });
  return cached;
}

/** Install a store (or forget it with `undefined`). */
export function setStageHistoryStore(store: StageHistoryStore | undefined): void {
  installed = store;
  cached = undefined;
}
