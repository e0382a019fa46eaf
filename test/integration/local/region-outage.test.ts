import { runRegionOutage, STANDBY, scenarioWorkload } from '../../../bin/local/scenarios/region-outage';
import { resetRuntime } from '../../../functions/runtime';

/** A day-shaped demand (per second, one-minute grid) over two days. */
function dailyTrace(): { values: Float64Array; startMs: number; intervalMs: number } {
  const startMs = Date.UTC(2026, 10, 21);
  const values = new Float64Array(2 * 24 * 60);
  for (let i = 0; i < values.length; i++) values[i] = 500 + 300 * Math.sin((2 * Math.PI * i) / (24 * 60));
  return { values, startMs, intervalMs: 60_000 };
}

afterEach(() => resetRuntime());

describe('region-outage scenario (the real ASL and handlers over the regional simulator)', () => {
  const trace = dailyTrace();
  const base = {
    name: 'daily',
    ...trace,
    outageAtMs: trace.startMs + 36 * 3_600_000,
    outageMs: 90 * 60_000,
    warmupMs: 3 * 3_600_000,
    afterMs: 90 * 60_000,
    failbackHoldSeconds: 900,
  };

  it('detects, raises the standby, moves DNS in steps, serves again, fails back', async () => {
    const r = await runRegionOutage(base);
    expect(r.detectedAtMs).toBeGreaterThan(r.outageAtMs);
    expect(r.recoverySeconds).toBeDefined();
    expect(r.executions.map((e) => [e.kind, e.outcome])).toEqual([
      ['failover', 'succeeded'],
      ['failback', 'succeeded'],
    ]);
    expect(r.unservedAfterShiftFraction).toBeLessThan(0.01);
    expect(r.sim.weights()).toMatchObject({ [STANDBY]: 0 });
    // Calm: the standby held one unit before the outage.
    expect(r.standbyUnitHoursCalm).toBeCloseTo(r.calmHours, 5);
  }, 120_000);

  it('inject-failure: a standby that never becomes healthy rolls back, nothing stranded', async () => {
    const r = await runRegionOutage({ ...base, injectFailure: true, afterMs: 30 * 60_000 });
    expect(r.executions[0]).toMatchObject({
      kind: 'failover',
      outcome: 'failed',
      error: 'FailoverRolledBack',
    });
    expect(r.recoverySeconds).toBeUndefined();
    // Home is down, so traffic goes where a healthy host is; the units that never came up are dropped.
    const standby = await r.sim.standbyPool.describe(scenarioWorkload(r.unitCapacity, r.maxUnits, base));
    expect(standby.desired).toBe(standby.ready);
  }, 120_000);
});
