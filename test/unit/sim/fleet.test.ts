import { ManualClock } from '../../../shared/clock';
import { NotReadyError, TransientError, ValidationError } from '../../../shared/errors';
import { SimFleet, type SimWorkloadOptions } from '../../../shared/sim/fleet';
import { autoUnitCapacity, demandUnits, quantileOf, traceFromPoints } from '../../../shared/sim/trace';

const MIN = 60_000;
const STEP = 5 * MIN;

function fleetWith(values: number[], overrides: Partial<SimWorkloadOptions> = {}): SimFleet {
  const options: SimWorkloadOptions = {
    workloadId: 'w',
    trace: { name: 't', startMs: 0, intervalMs: STEP, values: Float64Array.from(values) },
    unitCapacity: 10,
    targetUtilization: 1,
    lagMs: 3 * MIN,
    metricDelayMs: MIN,
    drainMs: MIN,
    primary: { maxUnits: 10, initialUnits: 2, pricePerUnitHour: 1 },
    shadow: { maxUnits: 5, pricePerUnitHour: 2 },
    ...overrides,
  };
  return new SimFleet({ clock: new ManualClock(0), workloads: [options] });
}

describe('SimFleet physics', () => {
  it('makes launched units ready only after the provisioning lag, integrated within the step', () => {
    const fleet = fleetWith([20, 20, 20]);
    fleet.setDesired('w', 'primary', 4);
    expect(fleet.describe('w', 'primary')).toMatchObject({ desired: 4, pending: 2, ready: 2 });
    fleet.advanceTo(2 * MIN);
    expect(fleet.describe('w', 'primary').ready).toBe(2);
    fleet.advanceTo(3 * MIN);
    expect(fleet.describe('w', 'primary')).toMatchObject({ ready: 4, pending: 0 });
    fleet.step();
    const h = fleet.get('w').history;
    // 2 units for 5 min + 2 more for the last 2 min = 2 + 2·2/5 = 2.8 ready on average.
    expect(h.readyPrimary[0]).toBeCloseTo(2.8, 9);
    // Pending units are billed from launch.
    expect(h.billedPrimary[0]).toBeCloseTo(4, 9);
    // 20 offered against 28 of capacity: nothing unserved.
    expect(h.unserved[0]).toBe(0);
  });

  it('bills draining units after a scale-in and stops serving with them at once', () => {
    const fleet = fleetWith([10, 10], { primary: { maxUnits: 10, initialUnits: 4 } });
    fleet.setDesired('w', 'primary', 1);
    expect(fleet.describe('w', 'primary')).toMatchObject({ ready: 1, draining: 3 });
    fleet.step();
    const h = fleet.get('w').history;
    expect(h.readyPrimary[0]).toBeCloseTo(1, 9);
    // 1 unit for 5 min + 3 draining for 1 min.
    expect(h.billedPrimary[0]).toBeCloseTo(1 + (3 * 1) / 5, 9);
    expect(fleet.describe('w', 'primary').draining).toBe(0);
  });

  it('publishes a step only after it ends plus the metric delay', () => {
    const fleet = fleetWith([1, 2, 3, 4]);
    fleet.step();
    expect(fleet.visibleSteps('w')).toBe(0);
    fleet.advanceTo(STEP + MIN - 1);
    expect(fleet.visibleSteps('w')).toBe(0);
    fleet.advanceTo(STEP + MIN);
    expect(fleet.visibleSteps('w')).toBe(1);
    fleet.advanceTo(3 * STEP);
    expect(fleet.visibleSteps('w')).toBe(2);
  });

  it('refuses a count beyond the pool maximum and weights on a pool with no ready unit', () => {
    const fleet = fleetWith([10]);
    expect(() => fleet.setDesired('w', 'primary', 11)).toThrow(ValidationError);
    expect(() => fleet.setWeights('w', { primary: 50, shadow: 50 })).toThrow(NotReadyError);
    expect(() => fleet.setWeights('w', { primary: 60, shadow: 50 })).toThrow(ValidationError);
    fleet.ensureShadow('w', 2);
    expect(() => fleet.setWeights('w', { primary: 50, shadow: 50 })).toThrow(NotReadyError);
    fleet.advanceTo(3 * MIN);
    fleet.setWeights('w', { primary: 50, shadow: 50 });
    expect(fleet.getWeights('w')).toEqual({ primary: 50, shadow: 50 });
  });

  it('splits traffic by weight, overloads a short pool and records its 5xx and latency', () => {
    const fleet = fleetWith([40, 40]);
    fleet.ensureShadow('w', 1);
    fleet.advanceTo(3 * MIN);
    fleet.setWeights('w', { primary: 50, shadow: 50 });
    fleet.advanceTo(STEP);
    fleet.step();
    const h = fleet.get('w').history;
    // Step 1: 20 to a primary of 20 capacity, 20 to a shadow of 10 -> 10 unserved on the shadow.
    expect(h.requestsShadow[1]).toBeCloseTo(20, 9);
    expect(h.errorsShadow[1]).toBeCloseTo(10, 9);
    expect(h.errorsPrimary[1]).toBeCloseTo(0, 9);
    expect(h.p99Shadow[1] as number).toBeGreaterThan(h.p99Primary[1] as number);
  });

  it.each([
    ['gate', 'raises the shadow 5xx rate'],
    ['provision', 'keeps shadow units pending forever'],
  ] as const)('injects a %s failure: %s', (kind, _what) => {
    const fleet = fleetWith([10, 10, 10]);
    fleet.injectFailure({ kind });
    fleet.ensureShadow('w', 2);
    fleet.advanceTo(STEP);
    if (kind === 'provision') {
      expect(fleet.describe('w', 'shadow')).toMatchObject({ ready: 0, pending: 2 });
      return;
    }
    fleet.setWeights('w', { primary: 50, shadow: 50 });
    fleet.step();
    const h = fleet.get('w').history;
    expect(h.errorsShadow[1]).toBeCloseTo(5 * 0.2, 9);
  });

  it('throttles the next n adapter calls', () => {
    const fleet = fleetWith([10]);
    fleet.injectFailure({ kind: 'throttle', times: 2 });
    expect(() => fleet.checkThrottle('a')).toThrow(TransientError);
    expect(() => fleet.checkThrottle('b')).toThrow(TransientError);
    expect(() => fleet.checkThrottle('c')).not.toThrow();
  });
});

describe('demand from a trace', () => {
  it('regularises rows, carrying gaps forward', () => {
    const { trace, report } = traceFromPoints('x', [
      { t: 0, v: 1 },
      { t: 2 * MIN, v: 3 },
      { t: MIN, v: Number.NaN },
      { t: 4 * MIN, v: 5 },
    ]);
    expect(trace.intervalMs).toBe(2 * MIN);
    expect(Array.from(trace.values)).toEqual([1, 3, 5]);
    expect(report.nonNumeric).toBe(1);
  });

  it('sizes a unit so that p95 needs 20 units at target utilisation', () => {
    const values = Float64Array.from({ length: 101 }, (_, i) => i);
    const trace = { name: 'r', startMs: 0, intervalMs: MIN, values };
    const cap = autoUnitCapacity(trace, 0.7);
    expect(quantileOf(values, 0.95)).toBeCloseTo(95, 9);
    expect(cap).toBeCloseTo(95 / 14, 9);
    expect(demandUnits(trace, cap, 0.7)[95]).toBeCloseTo(20, 9);
  });
});
