import { ManualClock } from '../../../shared/clock';
import { Workload } from '../../../shared/schemas/workload';
import { SimRegions } from '../../../shared/sim/regions';
import { failoverWorkloadInput, HOME, STANDBY } from '../../helpers/failover';

const T0 = Date.UTC(2026, 10, 23, 9, 0);
const MINUTE = 60_000;

function regions() {
  const clock = new ManualClock(T0);
  const workload = Workload.parse(failoverWorkloadInput());
  // 100 requests/s from minute 2 on (10 before); a unit serves 10/s; home runs 4 units.
  const sim = new SimRegions({
    clock,
    workload,
    demand: (t) => (t >= T0 + 2 * MINUTE ? 100 : 10),
    unitCapacity: 10,
    lagMs: 3 * MINUTE,
    homeUnits: 4,
    standbyUnits: 1,
  });
  return { clock, workload, sim };
}

describe('SimRegions ALB metrics (CloudWatch publication delay)', () => {
  it.each([
    // seconds after T0, what the newest readable minute shows
    ['3:59: the overloaded minute from 2:00 is not published yet', 239, 0],
    ['4:00: it is readable one minute after it ends', 240, 3_600],
  ])('%s', async (_name, seconds, errors) => {
    const { sim, workload } = regions();
    sim.advanceTo(T0 + seconds * 1000);
    const read = await sim.health.read(workload, HOME, 60);
    expect(read).toMatchObject({ kind: 'data', sample: { errors5xx: errors, healthyHosts: 4 } });
  });

  it('a region that goes down reads as no data only once its newest minute is stale (150 s)', async () => {
    const { sim, workload, clock } = regions();
    sim.advanceTo(T0 + 5 * MINUTE);
    sim.setDown(HOME, true);
    const seen: string[] = [];
    for (const s of [60, 120, 149, 151]) {
      sim.advanceTo(T0 + 5 * MINUTE + s * 1000);
      seen.push(`${s}:${(await sim.health.read(workload, HOME, 60)).kind}`);
    }
    expect(seen).toEqual(['60:data', '120:data', '149:data', '151:no-data']);
    expect(clock.now()).toBe(T0 + 5 * MINUTE + 151_000);
  });

  it('sinceMs reads only minutes from then on ("not yet" is no data)', async () => {
    const { sim, workload } = regions();
    sim.advanceTo(T0 + 4 * MINUTE);
    await expect(sim.health.read(workload, HOME, 60, { sinceMs: T0 + 3 * MINUTE })).resolves.toMatchObject({
      kind: 'no-data',
    });
    sim.advanceTo(T0 + 5 * MINUTE);
    await expect(sim.health.read(workload, HOME, 60, { sinceMs: T0 + 3 * MINUTE })).resolves.toMatchObject({
      kind: 'data',
    });
  });
});

describe('SimRegions DNS clients and the TTL', () => {
  it('a lowered TTL takes effect one old TTL later; then a move lands within the new TTL', async () => {
    const { sim, workload } = regions();
    sim.advanceTo(T0 + MINUTE);
    await sim.router.setWeights(workload, { [HOME]: 100, [STANDBY]: 0 }, { ttlSeconds: 10 });
    await expect(sim.router.getTtl(workload)).resolves.toBe(10);
    // One old TTL (60 s) later every client holds a 10 s answer: a move is in effect 10 s after.
    sim.advanceTo(T0 + 2 * MINUTE);
    await sim.router.setWeights(workload, { [HOME]: 0, [STANDBY]: 100 }, { ttlSeconds: 10 });
    const halfway = sim.clientShare(T0 + 2 * MINUTE + 5_000)[STANDBY] ?? 0;
    expect(halfway).toBeGreaterThan(0.35);
    expect(halfway).toBeLessThan(0.65);
    expect(sim.clientShare(T0 + 2 * MINUTE + 10_000)[STANDBY]).toBeCloseTo(1, 6);
  });

  it('with the TTL unchanged a move takes the whole TTL', async () => {
    const { sim, workload } = regions();
    sim.advanceTo(T0 + MINUTE);
    await sim.router.setWeights(workload, { [HOME]: 0, [STANDBY]: 100 });
    expect(sim.clientShare(T0 + MINUTE + 30_000)[STANDBY]).toBeCloseTo(0.5, 1);
    expect(sim.clientShare(T0 + 2 * MINUTE)[STANDBY]).toBeCloseTo(1, 6);
  });
});
