import { ManualClock } from '../../../shared/clock';
import { ServiceAutoscaler } from '../../../shared/sim/autoscaler';
import { SimFleet } from '../../../shared/sim/fleet';

const MIN = 60_000;
const START = Date.UTC(2026, 0, 5);

/** One workload at 1-minute steps: demand 20 units for 30 min, then 5 units. */
function world(stepMs: number) {
  const n = Math.round((120 * MIN) / stepMs);
  const values = Float64Array.from({ length: n }, (_, i) => (i * stepMs < 30 * MIN ? 20 : 5));
  const clock = new ManualClock(START);
  const fleet = new SimFleet({
    clock,
    stepMs,
    workloads: [
      {
        workloadId: 'w',
        trace: { name: 't', startMs: START, intervalMs: stepMs, values },
        unitCapacity: 1,
        targetUtilization: 1,
        lagMs: 3 * MIN,
        metricDelayMs: MIN,
        primary: { maxUnits: 50, minUnits: 1, initialUnits: 20 },
      },
    ],
  });
  const autoscaler = new ServiceAutoscaler(fleet, fleet.get('w'), { minUnits: 1, maxUnits: 50 });
  return { fleet, autoscaler, n };
}

describe('the service’s own target tracking in the simulator', () => {
  it.each([MIN, 5 * MIN])('scales in after 15 minutes below target, at %i ms steps', (stepMs) => {
    const { fleet, autoscaler, n } = world(stepMs);
    for (let k = 0; k < n; k++) {
      fleet.advanceTo(START + k * stepMs);
      autoscaler.tick(START + k * stepMs);
    }
    // Demand drops to 5 at minute 30; 15 low minutes are published by about minute 47.
    expect(fleet.get('w').primary.desired).toBe(5);
  });

  it('never scales below the floor pre-warm set', () => {
    const { fleet, autoscaler, n } = world(MIN);
    fleet.setFloor('w', 'primary', 12);
    for (let k = 0; k < n; k++) {
      fleet.advanceTo(START + k * MIN);
      autoscaler.tick(START + k * MIN);
    }
    expect(fleet.get('w').primary.desired).toBe(12);
  });
});
