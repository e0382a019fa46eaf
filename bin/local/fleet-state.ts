import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import { TrafficWeights } from '../../shared/schemas/operation';
import type { SimFleet, SimWorkloadOptions } from '../../shared/sim/fleet';
import { parseOrThrow } from '../../shared/validation';

/**
 * The simulated fleet's state kept beside a `--keep-db` store. The store remembers operations
 * (traffic on the shadow pool, a shadow pool to return from); a fleet that restarted at 100/0 with
 * no shadow pool would contradict it, and the next return would be rejected. So a kept run saves
 * the fleet's weights and pool sizes when it ends and the next one starts the fleet from them.
 */
export const FLEET_STATE_FILE = 'fleet-state.json';

const KeptFleetState = z.strictObject({
  workloadId: z.string().min(1),
  atMs: z.number().int(),
  weights: TrafficWeights,
  primaryUnits: z.number().int().min(0),
  shadowUnits: z.number().int().min(0),
});
export type KeptFleetState = z.infer<typeof KeptFleetState>;

/** Write the fleet's state of one workload into the kept store's directory. */
export function saveFleetState(dir: string, fleet: SimFleet, workloadId: string): KeptFleetState {
  const primary = fleet.describe(workloadId, 'primary');
  const shadow = fleet.describe(workloadId, 'shadow');
  const state: KeptFleetState = {
    workloadId,
    atMs: fleet.now(),
    weights: fleet.getWeights(workloadId),
    // Units being launched count: the next run starts after the lag has long passed.
    primaryUnits: primary.ready + primary.pending,
    shadowUnits: shadow.exists ? shadow.ready + shadow.pending : 0,
  };
  writeFileSync(join(dir, FLEET_STATE_FILE), `${JSON.stringify(state, null, 2)}\n`);
  return state;
}

/** The kept state of this workload, or undefined when the store has none (a first run). */
export function readFleetState(dir: string, workloadId: string): KeptFleetState | undefined {
  const path = join(dir, FLEET_STATE_FILE);
  if (!existsSync(path)) return undefined;
  const state = parseOrThrow(KeptFleetState, JSON.parse(readFileSync(path, 'utf8')), path);
  return state.workloadId === workloadId ? state : undefined;
}

/** The workload's simulator options starting from the kept pool sizes. */
export function withFleetState(
  options: SimWorkloadOptions,
  kept: KeptFleetState | undefined,
): SimWorkloadOptions {
  if (!kept) return options;
  return {
    ...options,
    primary: { ...options.primary, initialUnits: Math.min(kept.primaryUnits, options.primary.maxUnits) },
    ...(options.shadow && kept.shadowUnits > 0
      ? { shadow: { ...options.shadow, initialUnits: Math.min(kept.shadowUnits, options.shadow.maxUnits) } }
      : {}),
  };
}

/** Set the kept weights on a fleet built `withFleetState`; says what was resumed, in one line. */
export function resumeWeights(fleet: SimFleet, kept: KeptFleetState): string {
  fleet.setWeights(kept.workloadId, kept.weights);
  return `kept fleet: resumed primary ${kept.primaryUnits} units / shadow ${kept.shadowUnits} units, weights primary ${kept.weights.primary}% / shadow ${kept.weights.shadow}%`;
}
