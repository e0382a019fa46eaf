import { runForecaster } from '../../../shared/forecaster';
import type { ForecastEngine } from '../../../shared/model/api';
import { harness, lastValueEngine, PERIOD, T0, workload } from './helpers';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
// Short history keeps the real-engine fits fast; the lastValue engine does not care.
const fast = { engine: lastValueEngine, historyMs: 2 * DAY };

/** requests capacity = 20 units x 6000 x 0.7 = 84,000; cpu capacity = 20 x 100 x 0.7 = 1,400. */
function setLevels(h: ReturnType<typeof harness>, id: string, requests: () => number, cpu = () => 500) {
  h.demand.set(`${id}/requests`, () => requests());
  h.demand.set(`${id}/cpu`, () => cpu());
}

describe('runForecaster', () => {
  it('fits from full history on the first run, stores predictions, states and the decision, and publishes Forecast Computed', async () => {
    const h = harness();
    await h.repositories.workloads.create(workload('shop'));
    setLevels(h, 'shop', () => 40_000);

    const result = await runForecaster({}, h.ports, fast);

    expect(result).toMatchObject({ workloads: 1, ok: 1, failed: 0, series: 2, eventsPublished: 1 });
    const [outcome] = result.outcomes;
    expect(outcome).toMatchObject({ workloadId: 'shop', status: 'ok', score: 0, contended: false });
    expect(outcome?.metrics.map((m) => [m.metric, m.mode, m.reason])).toEqual([
      ['requests', 'full', 'no-state'],
      ['cpu', 'full', 'no-state'],
    ]);
    // Two days of 5-minute points, up to the last settled period before now.
    expect(outcome?.metrics[0]?.newPoints).toBe((2 * DAY) / PERIOD);
    const prediction = await h.repositories.predictions.getLatest('shop', 'requests');
    expect(prediction).toMatchObject({ generatedAt: T0, model: 'last-value', intervalMs: PERIOD });
    // A learning workload (the default policy) forecasts every quantile the learner scores.
    expect(prediction?.quantiles.map((q) => q.q)).toEqual([0.5, 0.8, 0.9, 0.95, 0.99, 0.999]);
    // Until the learner has a day of evidence it plans with the metric's own settings, and says so.
    expect(prediction?.planning).toEqual({ quantile: 0.95, minQuantile: 0.8 });
    expect(
      (await h.repositories.predictions.getModelState('shop', 'requests'))?.learner?.pending,
    ).toHaveLength(1);
    expect(await h.repositories.predictions.getModelState('shop', 'cpu')).toMatchObject({
      lastPointMs: T0 - 2 * PERIOD,
    });
    expect(await h.repositories.predictions.getDecision('shop')).toMatchObject({
      contended: false,
      score: 0,
    });
    expect(h.events.events.map((e) => e.detailType)).toEqual(['Forecast Computed']);
    expect(h.events.ofType('Forecast Computed')[0]?.detail).toMatchObject({
      workloadId: 'shop',
      contentionScore: 0,
      metrics: [
        { metric: 'requests', peakP50: 40_000, peakAtQuantile: 40_000, horizonSteps: 13 },
        { metric: 'cpu', peakP50: 500, peakAtQuantile: 500 },
      ],
    });
  });

  it('reads only the points newer than the stored state on the next run', async () => {
    const h = harness();
    await h.repositories.workloads.create(workload('shop'));
    setLevels(h, 'shop', () => 40_000);
    await runForecaster({}, h.ports, fast);
    h.at(T0 + 15 * 60_000);

    const result = await runForecaster({}, h.ports, fast);

    const reads = h.metrics.queries[1] ?? [];
    expect(reads.map((q) => [q.id, q.startMs, q.endMs])).toEqual([
      ['shop/requests', T0 - PERIOD, T0 + 2 * PERIOD],
      ['shop/cpu', T0 - PERIOD, T0 + 2 * PERIOD],
    ]);
    expect(result.outcomes[0]?.metrics.map((m) => [m.mode, m.newPoints])).toEqual([
      ['incremental', 3],
      ['incremental', 3],
    ]);
    expect((await h.repositories.predictions.getModelState('shop', 'requests'))?.lastPointMs).toBe(
      T0 + PERIOD,
    );
  });

  it.each([
    // [requests level per run, expected contended per run, expected events per run]
    [
      [40_000, 100_000, 100_000, 86_000, 84_500, 40_000],
      [false, true, true, true, false, false],
      [[], ['Contention Predicted'], [], [], ['Contention Cleared'], []],
    ],
    [
      [95_000, 40_000, 95_000],
      [true, false, true],
      [['Contention Predicted'], ['Contention Cleared'], ['Contention Predicted']],
    ],
    // Escalation: 95,000 needs a 4-unit shadow pool; 110,000 needs 8 (>= 4 + 25%, one unit): announce
    // again; the same 8 again, or less, does not.
    [
      [95_000, 110_000, 110_000, 100_000],
      [true, true, true, true],
      [['Contention Predicted'], ['Contention Predicted'], [], []],
    ],
  ])('decides with hysteresis for levels %j', async (levels, contended, transitions) => {
    const h = harness();
    await h.repositories.workloads.create(workload('shop'));
    let level = 0;
    setLevels(h, 'shop', () => level);

    for (let run = 0; run < levels.length; run++) {
      level = levels[run] as number;
      h.at(T0 + run * 2 * PERIOD);
      h.events.clear();
      const result = await runForecaster({}, h.ports, fast);

      expect(result.outcomes[0]?.contended).toBe(contended[run]);
      expect(h.events.events.map((e) => e.detailType).filter((t) => t.startsWith('Contention'))).toEqual(
        transitions[run],
      );
      expect((await h.repositories.predictions.getDecision('shop'))?.contended).toBe(contended[run]);
    }
  });

  it('puts the shortage time and the recommended shadow size in Contention Predicted', async () => {
    const h = harness();
    await h.repositories.workloads.create(workload('shop'));
    setLevels(h, 'shop', () => 120_000);

    const result = await runForecaster({}, h.ports, fast);

    // requests deficit (120,000 - 84,000) / 84,000 = 0.4286, weight 0.7 of 1.0 -> score 0.3
    const predicted = h.events.ofType('Contention Predicted')[0]?.detail;
    expect(predicted?.score).toBeCloseTo(0.3, 6);
    // The newest point is at T0 - 2P; the forecast starts one period later.
    expect(predicted?.shortageAt).toBe(T0 - PERIOD);
    // peak units = 120,000 / (6000 x 0.7) = 28.57; deficit 8.57 -> 9 units (no buffer by default: the planning path is the headroom).
    expect(predicted).toMatchObject({ peakUnits: expect.closeTo(28.571, 2), primaryMaxUnits: 20 });
    expect(predicted?.recommendedShadowUnits).toBe(9);
    expect(await h.repositories.predictions.getDecision('shop')).toMatchObject({
      contended: true,
      since: T0,
      shortageAt: T0 - PERIOD,
      recommendedShadowUnits: 9,
    });
    expect(result.outcomes[0]).toMatchObject({ transition: 'predicted', recommendedShadowUnits: 9 });
  });

  it.each([
    // Quantile q forecasts (1 + 2(q - 0.5)) x the last value: q 0.95 -> 1.9x, q 0.8 -> 1.6x.
    ['uncapped: plans at the 0.95 quantile', {}, 1.9],
    ['capped at 20 % above the median, floor at the median', { maxHeadroom: 0.2, minQuantile: 0.5 }, 1.2],
    ['capped at 20 %, but never below the 0.8 quantile', { maxHeadroom: 0.2 }, 1.6],
  ])('plans a metric with maxHeadroom as the backtest policy does: %s', async (_name, cap, factor) => {
    const spread: ForecastEngine = {
      ...lastValueEngine,
      forecast(state, options) {
        const f = lastValueEngine.forecast(state, options);
        const quantiles = f.quantiles.map(({ q, values }) => ({
          q,
          values: values.map((v) => v * (1 + 2 * (q - 0.5))),
        }));
        return { ...f, quantiles };
      },
    };
    const h = harness();
    await h.repositories.workloads.create(
      workload('shop', (w) => {
        w.metrics = w.metrics.map((m) => (m.name === 'requests' ? { ...m, ...cap } : m));
      }),
    );
    setLevels(h, 'shop', () => 50_000);

    const result = await runForecaster({}, h.ports, { ...fast, engine: spread });

    const outcome = result.outcomes[0];
    const requests = outcome?.metrics.find((m) => m.metric === 'requests');
    expect(requests?.peakAtQuantile).toBeCloseTo(50_000 * factor, 6);
    // Capacity 84,000: 95,000 and 80,000 are a shortage, 60,000 is not.
    expect(outcome?.contended).toBe(50_000 * factor > 84_000);
  });

  it('isolates bad workloads: missing metric, unknown id, a metrics source that throws for one', async () => {
    const h = harness();
    for (const id of ['good', 'silent', 'broken']) await h.repositories.workloads.create(workload(id));
    setLevels(h, 'good', () => 40_000);
    h.demand.set('silent/requests', () => 40_000); // silent/cpu publishes nothing
    setLevels(h, 'broken', () => 40_000);
    h.metrics.failFor.add('broken/cpu');

    const result = await runForecaster({ workloadIds: ['good', 'silent', 'broken', 'ghost'] }, h.ports, fast);

    expect(result).toMatchObject({ workloads: 4, ok: 1, failed: 3 });
    const by = new Map(result.outcomes.map((o) => [o.workloadId, o]));
    expect(by.get('good')?.status).toBe('ok');
    expect(by.get('silent')).toMatchObject({ status: 'failed', error: { name: 'NoDataError' } });
    expect(by.get('silent')?.error?.message).toMatch(/metric cpu/);
    expect(by.get('broken')).toMatchObject({ status: 'failed', error: { name: 'NotFoundError' } });
    expect(by.get('ghost')).toMatchObject({ status: 'failed', error: { name: 'NotFoundError' } });
    // Nothing half-written for the failed ones; the good one is complete.
    expect(await h.repositories.predictions.getLatest('silent', 'requests')).toBeUndefined();
    expect(await h.repositories.predictions.getDecision('silent')).toBeUndefined();
    expect(await h.repositories.predictions.getLatest('good', 'cpu')).toBeDefined();
    expect(h.events.events.map((e) => e.detail.workloadId)).toEqual(['good']);
  });

  it('marks a workload degraded, not failed, when only a non-critical metric has no data', async () => {
    const h = harness();
    await h.repositories.workloads.create(
      workload('shop', (w) => {
        const cpu = w.metrics[1];
        if (cpu) cpu.critical = false;
      }),
    );
    h.demand.set('shop/requests', () => 40_000);

    const result = await runForecaster({}, h.ports, fast);

    expect(result.outcomes[0]).toMatchObject({ status: 'degraded', score: 0 });
    expect(h.events.ofType('Forecast Computed')[0]?.detail.metrics.map((m) => m.metric)).toEqual([
      'requests',
    ]);
  });

  it('keeps a failed write to one workload from touching the others', async () => {
    const h = harness();
    for (const id of ['a', 'b']) {
      await h.repositories.workloads.create(workload(id));
      setLevels(h, id, () => 40_000);
    }
    const put = h.repositories.predictions.putPrediction.bind(h.repositories.predictions);
    h.repositories.predictions.putPrediction = async (p) => {
      if (p.workloadId === 'a') throw Object.assign(new Error('throttled'), { name: 'TransientError' });
      return put(p);
    };

    const result = await runForecaster({}, h.ports, fast);

    expect(result.outcomes.map((o) => [o.workloadId, o.status, o.error?.name])).toEqual([
      ['a', 'failed', 'TransientError'],
      ['b', 'ok', undefined],
    ]);
    expect(h.events.events.map((e) => e.detail.workloadId)).toEqual(['b']);
  });

  it('does not store a contention decision whose event was not published, and republishes next run', async () => {
    const h = harness();
    await h.repositories.workloads.create(workload('shop'));
    setLevels(h, 'shop', () => 120_000);
    h.events.failWhen((e) =>
      e.detailType === 'Contention Predicted' ? 'InternalFailure: try again' : undefined,
    );

    const first = await runForecaster({}, h.ports, fast);

    expect(first.publishFailures).toEqual([
      { workloadId: 'shop', detailType: 'Contention Predicted', error: 'InternalFailure: try again' },
    ]);
    expect(first.outcomes[0]?.published).toEqual(['Forecast Computed']);
    expect(await h.repositories.predictions.getDecision('shop')).toBeUndefined();

    h.events.failWhen(undefined);
    h.at(T0 + PERIOD);
    const second = await runForecaster({}, h.ports, fast);

    expect(second.outcomes[0]).toMatchObject({
      transition: 'predicted',
      published: ['Forecast Computed', 'Contention Predicted'],
    });
    expect(await h.repositories.predictions.getDecision('shop')).toMatchObject({ contended: true });
  });

  it('reports a series that went quiet as no data instead of forecasting from stale state', async () => {
    const h = harness();
    await h.repositories.workloads.create(workload('shop'));
    let live = true;
    setLevels(h, 'shop', () => 40_000);
    h.demand.set('shop/cpu', () => (live ? 500 : undefined));
    await runForecaster({}, h.ports, fast);
    live = false;
    h.at(T0 + 7 * HOUR);

    const result = await runForecaster({}, h.ports, fast);

    expect(result.outcomes[0]).toMatchObject({ status: 'failed', error: { name: 'NoDataError' } });
    expect(result.outcomes[0]?.error?.message).toMatch(/cpu has had no data since/);
  });

  it('refits from full history when asked, and processes one registry page', async () => {
    const h = harness();
    for (const id of ['a', 'b', 'c']) {
      await h.repositories.workloads.create(workload(id));
      setLevels(h, id, () => 40_000);
    }
    await runForecaster({}, h.ports, fast);

    const page = await runForecaster({ page: { limit: 2 }, fullRefit: true }, h.ports, fast);

    expect(page.outcomes.map((o) => o.workloadId)).toEqual(['a', 'b']);
    expect(page.nextCursor).toEqual(expect.any(String));
    expect(page.outcomes[0]?.metrics[0]).toMatchObject({ mode: 'full', reason: 'requested' });
    const rest = await runForecaster(
      { page: { limit: 2, cursor: page.nextCursor as string } },
      h.ports,
      fast,
    );
    expect(rest.outcomes.map((o) => o.workloadId)).toEqual(['c']);
    expect(rest.nextCursor).toBeUndefined();
  });

  it('spreads scheduled refits over runs, updating the deferred series incrementally meanwhile', async () => {
    const h = harness();
    for (const id of ['a', 'b']) {
      await h.repositories.workloads.create(workload(id));
      setLevels(h, id, () => 40_000);
    }
    await runForecaster({}, h.ports, fast);
    h.at(T0 + PERIOD);
    const due = { ...lastValueEngine, needsRefit: () => true };

    const result = await runForecaster({}, h.ports, { ...fast, engine: due, maxScheduledRefits: 1 });

    const reads = result.outcomes.flatMap((o) =>
      o.metrics.map((m) => [o.workloadId, m.metric, m.mode, m.refitDeferred]),
    );
    expect(reads).toEqual([
      ['a', 'requests', 'full', undefined],
      ['a', 'cpu', 'incremental', true],
      ['b', 'requests', 'incremental', true],
      ['b', 'cpu', 'incremental', true],
    ]);
    expect(result.ok).toBe(2);
  });

  it('runs the real engine end to end on a daily pattern and reuses the fitted state', async () => {
    const h = harness();
    await h.repositories.workloads.create(workload('shop'));
    const daily = (t: number) => 40_000 + 20_000 * Math.sin((2 * Math.PI * (t % DAY)) / DAY);
    h.demand.set('shop/requests', daily);
    h.demand.set('shop/cpu', (t) => daily(t) / 100);

    const first = await runForecaster({}, h.ports, { historyMs: 7 * DAY });
    h.at(T0 + 10 * 60_000);
    const second = await runForecaster({}, h.ports, { historyMs: 7 * DAY });

    expect(first.outcomes[0]?.status).toBe('ok');
    expect(second.outcomes[0]?.metrics.map((m) => [m.mode, m.newPoints])).toEqual([
      ['incremental', 2],
      ['incremental', 2],
    ]);
    const p = await h.repositories.predictions.getLatest('shop', 'requests');
    const expected = daily(p?.startMs ?? 0);
    expect(Math.abs((p?.point[0] ?? 0) - expected) / expected).toBeLessThan(0.1);
  });
});
