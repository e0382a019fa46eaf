import { runForecaster } from '../../../shared/forecaster';
import { harness, lastValueEngine, PERIOD, T0, workload } from './helpers';

const DAY = 86_400_000;
const fast = { engine: lastValueEngine, historyMs: 2 * DAY };
/** Deterministic jitter in [−0.5, 0.5) from the timestamp. */
const jitter = (t: number): number => (((t / PERIOD) * 7919) % 101) / 101 - 0.5;

describe('forecaster run: anomaly scores and events', () => {
  function setup(requestsFrom: (t: number) => number) {
    const h = harness();
    h.demand.set('shop/requests', (t) => requestsFrom(t) + 2_000 * jitter(t));
    h.demand.set('shop/cpu', (t) => 500 + 20 * jitter(t * 3));
    return h;
  }

  it('calibrates on history silently, then publishes Anomaly Detected and Cleared with hysteresis', async () => {
    // Requests jump from 40k to 70k at T0 (below the 84k capacity: no contention).
    const h = setup((t) => (t >= T0 ? 70_000 : 40_000));
    await h.repositories.workloads.create(workload('shop'));

    await runForecaster({}, h.ports, fast);
    expect(h.events.events.map((e) => e.detailType)).toEqual(['Forecast Computed']);
    const calm = await h.repositories.predictions.getModelState('shop', 'requests');
    expect(calm?.anomaly?.status.active).toBe(false);
    expect(calm?.anomaly?.detector.count).toBeGreaterThan(500);
    // The detector's state is stored with the model state: it stays a few KB.
    expect(JSON.stringify(calm?.anomaly?.detector).length).toBeLessThan(6_000);
    // The behavioural fingerprint is kept in the workload's profile, from all the history read.
    const fingerprint = (await h.repositories.workloads.get('shop'))?.profile.metrics?.requests?.fingerprint;
    expect(calm?.fingerprint).toBeUndefined();
    expect(fingerprint?.count).toBe((2 * DAY) / PERIOD);
    expect(fingerprint?.level).toBeGreaterThan(35_000);

    h.at(T0 + 15 * 60_000);
    const second = await runForecaster({}, h.ports, fast);
    const detected = h.events.ofType('Anomaly Detected');
    expect(detected).toHaveLength(1);
    expect(detected[0]?.detail).toMatchObject({ workloadId: 'shop', metric: 'requests', at: T0 });
    expect(detected[0]?.detail.score).toBeGreaterThanOrEqual(0.999);
    expect(detected[0]?.detail.observed).toBeGreaterThan(detected[0]?.detail.expectedHigh as number);
    expect(second.outcomes[0]?.metrics.find((m) => m.metric === 'requests')?.anomalyScore).toBeDefined();
    expect(await h.repositories.predictions.getDecision('shop')).toMatchObject({
      anomalousMetrics: ['requests'],
    });

    // The new level is the new normal: after enough calm rows the anomaly clears, once.
    h.at(T0 + 2 * 3_600_000);
    await runForecaster({}, h.ports, fast);
    const cleared = h.events.ofType('Anomaly Cleared');
    expect(cleared).toHaveLength(1);
    expect(cleared[0]?.detail).toMatchObject({ metric: 'requests', since: T0 });
    expect(h.events.ofType('Anomaly Detected')).toHaveLength(1);
    const decision = await h.repositories.predictions.getDecision('shop');
    expect(decision?.anomalousMetrics).toBeUndefined();
  });

  it('a contention forecast made during an anomaly says so and is marked low confidence', async () => {
    // Requests jump from 40k to 100k: over the 84k capacity, and anomalous.
    const h = setup((t) => (t >= T0 ? 100_000 : 40_000));
    await h.repositories.workloads.create(workload('shop'));
    await runForecaster({}, h.ports, fast);
    h.at(T0 + 15 * 60_000);

    await runForecaster({}, h.ports, fast);

    const [predicted] = h.events.ofType('Contention Predicted');
    expect(predicted?.detail).toMatchObject({ confidence: 'low', anomaly: { metrics: ['requests'] } });
  });

  it('a calm workload predicts contention without the anomaly fields', async () => {
    const h = setup(() => 100_000);
    await h.repositories.workloads.create(workload('shop'));

    await runForecaster({}, h.ports, fast);

    const [predicted] = h.events.ofType('Contention Predicted');
    expect(predicted).toBeDefined();
    expect(predicted?.detail.confidence).toBeUndefined();
    expect(predicted?.detail.anomaly).toBeUndefined();
  });
});
