import { pricesFor } from '../../../shared/builds/prices';
import { deadlines, meanDemandPools, type ReplayRun, replayBroker } from '../../../shared/builds/replay';

const HOUR = 3_600_000;
const run = (pipeline: string, i: number, agentSeconds: number): ReplayRun => ({
  pipeline,
  stage: 'test',
  buildId: `${pipeline}-${i}`,
  startMs: i * HOUR,
  agentSeconds,
  input: { startMs: i * HOUR },
});

describe('replay sizing rules', () => {
  it.each([
    // [what, vCPU-seconds held, unit, expected pool]
    ['rounds the mean demand up to whole instances', 3 * 3 * 3600, 2, 4],
    ['keeps at least one instance when nothing ran', 0, 2, 2],
    ['uses the unit of the fixed size', 9 * 3 * 3600, 4, 12],
  ])('%s', (_what, held, unit, pool) => {
    // Prepare: a pipeline whose runs start over three hours.
    const runs = [0, 1, 2, 3].map((i) => run('app', i, 60));
    // Act + Assess
    expect(meanDemandPools(runs, { app: held }, unit)).toEqual({ app: pool });
  });

  it('sets each deadline from earlier runs of the stage only', () => {
    const runs = [100, 200, 300, 400, 500, 10_000].map((w, i) => run('app', i, w));
    const dl = deadlines(runs, 1);
    expect(dl.slice(0, 5).every((d) => Number.isNaN(d))).toBe(true);
    // The sixth run's own (long) work is not in its deadline: the median of the five before it.
    expect(dl[5]).toBe(300);
  });

  it('charges the broker only for the vCPU-seconds its runs held when it has no reserved pool', () => {
    const runs = Array.from({ length: 40 }, (_, i) => run('app', i, 600));
    const dl = deadlines(runs, 1);
    const { result } = replayBroker(runs, dl, {
      prices: pricesFor('us-east-1'),
      parallelFraction: () => 0.6,
      poolVcpu: () => 0,
      deadlineFactor: 1,
      fixedType: 'MEDIUM',
      planQuantile: 0.8,
      budgetFactor: 1,
      poolLagSeconds: 180,
      trackEverySeconds: 60,
    });
    expect(result.reservedUsd).toBe(0);
    expect(result.onDemandUsd).toBeGreaterThan(0);
    expect(result.vcpuSeconds.app).toBeGreaterThan(0);
    expect(result.queueSeconds.every((q) => q === pricesFor('us-east-1').provisioningSeconds.onDemand)).toBe(
      true,
    );
  });
});
