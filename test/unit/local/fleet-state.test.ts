import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  readFleetState,
  resumeWeights,
  saveFleetState,
  withFleetState,
} from '../../../bin/local/fleet-state';
import { ManualClock } from '../../../shared/clock';
import { SimFleet, type SimWorkloadOptions } from '../../../shared/sim/fleet';

const T0 = Date.UTC(2026, 0, 1);
const options: SimWorkloadOptions = {
  workloadId: 'w',
  trace: { name: 't', startMs: T0, intervalMs: 300_000, values: new Float64Array(100).fill(10) },
  unitCapacity: 1,
  lagMs: 60_000,
  primary: { maxUnits: 10, initialUnits: 3 },
  shadow: { maxUnits: 8 },
};
const fleetOf = (o: SimWorkloadOptions, at = T0) =>
  new SimFleet({ clock: new ManualClock(at), stepMs: 300_000, workloads: [o] });

describe('--keep-db: the fleet resumes where the kept store left it', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'shadowscale-fleet-state-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('restores the weights and pool sizes a run ended with (traffic on the shadow pool)', () => {
    const first = fleetOf(options);
    first.setDesired('w', 'primary', 10);
    first.ensureShadow('w', 6);
    first.advanceTo(T0 + 600_000);
    first.setWeights('w', { primary: 57, shadow: 43 });
    saveFleetState(dir, first, 'w');

    const kept = readFleetState(dir, 'w');
    expect(kept).toMatchObject({ weights: { primary: 57, shadow: 43 }, primaryUnits: 10, shadowUnits: 6 });
    const next = fleetOf(withFleetState(options, kept), T0 + 86_400_000);
    expect(resumeWeights(next, kept as NonNullable<typeof kept>)).toMatch(/primary 57% \/ shadow 43%/);
    expect(next.getWeights('w')).toEqual({ primary: 57, shadow: 43 });
    expect(next.describe('w', 'shadow')).toMatchObject({ exists: true, ready: 6 });
    expect(next.describe('w', 'primary')).toMatchObject({ ready: 10 });
  });

  it('starts from the defaults on a first run or for another workload', () => {
    expect(readFleetState(dir, 'w')).toBeUndefined();
    saveFleetState(dir, fleetOf(options), 'w');
    expect(readFleetState(dir, 'other')).toBeUndefined();
    expect(withFleetState(options, undefined)).toBe(options);
  });
});
