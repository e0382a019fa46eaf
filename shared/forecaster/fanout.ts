import type { WorkloadRepository } from '../ports/repositories';

/**
 * How the forecast fan-out splits the registry (statemachines/forecast-fanout.asl.json).
 *
 * Up to `SINGLE_INVOCATION_MAX_WORKLOADS` (500) registered workloads, one forecaster invocation
 * takes them all. An incremental tick is cheap (the bench: 10,000 workloads x 3 metrics in well
 * under a minute of CPU); the bound comes from the worst run, the first one, where every series is
 * fitted from 35 days of history (~0.1-0.2 s of CPU each plus weeks of CloudWatch reads): 500 x 3
 * series is a few minutes, inside the 900 s Lambda timeout with margin. Above it a Distributed
 * Map runs one child per registry page of `DEFAULT_BATCH_SIZE` (100) workloads. Pages are passed
 * as cursors, not id lists, so the Map's input stays a few bytes per batch (under the 256 KiB
 * payload limit) whatever the size of the estate.
 */
export const SINGLE_INVOCATION_MAX_WORKLOADS = 500;
export const DEFAULT_BATCH_SIZE = 100;

export interface FanoutBatch {
  page: { cursor?: string; limit: number };
  fullRefit: boolean;
}

export interface FanoutPlan {
  mode: 'single' | 'distributed';
  /** Registered workloads counted while paging. */
  count: number;
  threshold: number;
  fullRefit: boolean;
  /** One per registry page (distributed mode only; empty in single mode). */
  batches: FanoutBatch[];
}

export interface FanoutOptions {
  batchSize?: number;
  threshold?: number;
  fullRefit?: boolean;
}

/** Page through the registry once, recording where each batch starts. */
export async function planFanout(
  workloads: Pick<WorkloadRepository, 'list'>,
  options: FanoutOptions = {},
): Promise<FanoutPlan> {
  const batchSize = options.batchSize ?? DEFAULT_BATCH_SIZE;
  const threshold = options.threshold ?? SINGLE_INVOCATION_MAX_WORKLOADS;
  const fullRefit = options.fullRefit ?? false;
  const batches: FanoutBatch[] = [];
  let count = 0;
  let cursor: string | undefined;
  do {
    const page = await workloads.list({ limit: batchSize, profiles: false, ...(cursor ? { cursor } : {}) });
    if (page.items.length > 0) {
      batches.push({ page: { ...(cursor ? { cursor } : {}), limit: batchSize }, fullRefit });
      count += page.items.length;
    }
    cursor = page.next;
  } while (cursor);
  const mode = count > threshold ? 'distributed' : 'single';
  return { mode, count, threshold, fullRefit, batches: mode === 'distributed' ? batches : [] };
}
