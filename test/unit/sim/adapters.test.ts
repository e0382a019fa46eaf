import { ManualClock } from '../../../shared/clock';
import { MemoryMeter } from '../../../shared/cost/meter';
import { NotReadyError, TransientError } from '../../../shared/errors';
import { HEALTH_METRICS_PER_READ } from '../../../shared/ports/metrics';
import { Workload } from '../../../shared/schemas/workload';
import { SimFleet, simPorts } from '../../../shared/sim';
import { workloadInput } from '../../helpers/fixtures';

const MIN = 60_000;
const STEP = 5 * MIN;

function setup(meter?: MemoryMeter) {
  const workload = Workload.parse(workloadInput());
  const metric = workload.metrics[0];
  if (!metric) throw new Error('fixture has no metric');
  const fleet = new SimFleet({
    clock: new ManualClock(0),
    workloads: [
      {
        workloadId: workload.workloadId,
        trace: {
          name: 't',
          startMs: 0,
          intervalMs: STEP,
          values: Float64Array.from([50, 50, 50, 50, 50, 50]),
        },
        unitCapacity: 10,
        primary: { maxUnits: 8, initialUnits: 5 },
        shadow: { maxUnits: 4 },
        workload,
      },
    ],
  });
  return { workload, metric, fleet, ports: simPorts(fleet, meter) };
}

describe('simulated ports', () => {
  it('scales, stands up and deletes a shadow pool through ComputePool', async () => {
    const { workload, fleet, ports } = setup();
    await ports.compute.scale(workload, 'primary', 7);
    expect(await ports.compute.describe(workload, 'primary')).toEqual({
      exists: true,
      desired: 7,
      pending: 2,
      ready: 5,
      draining: 0,
    });
    expect((await ports.compute.describe(workload, 'shadow')).exists).toBe(false);
    const shadow = await ports.compute.ensureShadow(workload, { units: 2 });
    expect(shadow).toMatchObject({ exists: true, desired: 2, ready: 0, pending: 2 });
    // Idempotent: the same call again reuses the pool.
    expect(await ports.compute.ensureShadow(workload, { units: 2 })).toMatchObject({
      desired: 2,
      pending: 2,
    });
    fleet.advanceTo(3 * MIN);
    expect(await ports.traffic.healthyTargets(workload, 'shadow')).toBe(2);
    await ports.compute.deleteShadow(workload);
    await ports.compute.deleteShadow(workload);
    expect((await ports.compute.describe(workload, 'shadow')).exists).toBe(false);
  });

  it('refuses weights on a pool with no ready unit and reads back what it accepted', async () => {
    const { workload, fleet, ports } = setup();
    await expect(ports.traffic.setWeights(workload, { primary: 90, shadow: 10 })).rejects.toThrow(
      NotReadyError,
    );
    await ports.compute.ensureShadow(workload, { units: 1 });
    fleet.advanceTo(3 * MIN);
    await ports.traffic.setWeights(workload, { primary: 90, shadow: 10 });
    expect(await ports.traffic.getWeights(workload)).toEqual({ primary: 90, shadow: 10 });
  });

  it('serves metrics only after the metric delay, and says "no data" before', async () => {
    const { metric, fleet, ports } = setup();
    const query = { id: 'q', metric, startMs: 0, endMs: 60 * MIN };
    fleet.step();
    expect(await ports.metrics.fetch([query])).toEqual([{ id: 'q', kind: 'no-data' }]);
    fleet.advanceTo(STEP + MIN);
    const [result] = await ports.metrics.fetch([query]);
    // 50 (trace unit) = 5 units at 100% -> 5 × capacityPerUnit in the metric's unit.
    expect(result).toEqual({
      id: 'q',
      kind: 'data',
      points: [{ t: 0, v: 5 * metric.capacityPerUnit }],
      complete: true,
    });
  });

  it('reads target health per target group, "no data" for a pool that took no requests', async () => {
    const { workload, fleet, ports } = setup();
    await ports.compute.ensureShadow(workload, { units: 1 });
    fleet.advanceTo(STEP);
    await ports.traffic.setWeights(workload, { primary: 50, shadow: 50 });
    fleet.advanceTo(2 * STEP + MIN);
    const primary = await ports.targetHealth.read(workload.traffic.primaryTargetGroupArn, undefined, 300);
    const shadow = await ports.targetHealth.read(workload.traffic.shadowTargetGroupArn, undefined, 300);
    expect(primary).toMatchObject({
      kind: 'data',
      sample: { requestCount: 25, errors5xx: 0, healthyHosts: 5 },
    });
    // 25 to one unit of capacity 10: 15 answered with 5xx, latency past the knee.
    expect(shadow).toMatchObject({
      kind: 'data',
      sample: { requestCount: 25, errors5xx: 15, healthyHosts: 1 },
    });
    if (shadow.kind === 'data' && primary.kind === 'data')
      expect(shadow.sample.p99LatencyMs).toBeGreaterThan(primary.sample.p99LatencyMs ?? 0);
    const fresh = setup();
    fresh.fleet.advanceTo(2 * STEP + MIN);
    const idle = await fresh.ports.targetHealth.read(workload.traffic.shadowTargetGroupArn, undefined, 300);
    expect(idle.kind).toBe('no-data');
  });

  it('publishes ALB minutes inside a 5-minute step: a gate two minutes after a shift sees it', async () => {
    const { workload, fleet, ports } = setup();
    await ports.compute.ensureShadow(workload, { units: 3 });
    fleet.advanceTo(STEP);
    await ports.traffic.setWeights(workload, { primary: 50, shadow: 50 });
    // Shift at 5:00; at 7:00 the 5:00-6:00 minute is complete and published (1-minute delay).
    fleet.advanceTo(STEP + 2 * MIN);
    const shadow = await ports.targetHealth.read(workload.traffic.shadowTargetGroupArn, undefined, 60);
    // 50 per 5-minute step = 10 a minute, half of it on the shadow (3 units serve 6 a minute).
    expect(shadow).toMatchObject({
      kind: 'data',
      sample: { requestCount: 5, errors5xx: 0, healthyHosts: 3 },
    });
    // The minute before the shift, published at 6:00, had none.
    fleet.advanceTo(STEP + 3 * MIN);
    const window = await ports.targetHealth.read(workload.traffic.shadowTargetGroupArn, undefined, 180);
    expect(window).toMatchObject({ kind: 'data', sample: { requestCount: 10 } });
  });

  it('meters each target-health read as the metrics the deployed source requests', async () => {
    const meter = new MemoryMeter();
    const { workload, fleet, ports } = setup(meter);
    fleet.advanceTo(2 * STEP + MIN);
    await ports.targetHealth.read(workload.traffic.primaryTargetGroupArn, undefined, 300);
    await ports.targetHealth.read(workload.traffic.shadowTargetGroupArn, undefined, 300);
    const usage = meter.take();
    expect(usage['cloudwatch.metrics-requested']).toBe(2 * HEALTH_METRICS_PER_READ);
    expect(usage['cloudwatch.get-metric-data-calls']).toBe(2);
  });

  it('throws TransientError on the next n calls of any port when throttled', async () => {
    const { workload, fleet, ports } = setup();
    fleet.injectFailure({ kind: 'throttle', times: 2 });
    await expect(ports.compute.describe(workload, 'primary')).rejects.toThrow(TransientError);
    await expect(ports.traffic.getWeights(workload)).rejects.toThrow(TransientError);
    await expect(ports.traffic.getWeights(workload)).resolves.toEqual({ primary: 100, shadow: 0 });
  });
});
