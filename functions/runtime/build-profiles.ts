import { makeDynamoBuildProfileStore } from '../../shared/data/build-profiles';
import { documentClientFrom } from '../../shared/data/client';
import type { BuildProfileStore } from '../../shared/ports/builds';
import { clock } from './index';
import { dynamoDbClient, tableNames } from './repositories';

/**
 * The build profile store for handlers: stage profiles and run allocations in the predictions
 * table, built once per container on first use. Tests and the local run install another store
 * with `setBuildProfileStore`.
 */
let installed: BuildProfileStore | undefined;
let cached: BuildProfileStore | undefined;

export function buildProfileStore(): BuildProfileStore {
  if (installed) return installed;
  cached ??= makeDynamoBuildProfileStore(documentClientFrom(dynamoDbClient()), tableNames().predictions, {
    now: () => clock().now(),
  });
  return cached;
}

/** Install a store (or forget it with `undefined`). */
export function setBuildProfileStore(store: BuildProfileStore | undefined): void {
  installed = store;
  cached = undefined;
}
