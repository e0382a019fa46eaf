import { MAX_LISTED_OUTCOMES, runForecast, summarize } from '../../../functions/forecast/core';
import { runIngestSignal } from '../../../functions/ingest-signal/core';
import { runListWorkloads } from '../../../functions/list-workloads/core';
import { ManualClock } from '../../../shared/clock';
import { ValidationError } from '../../../shared/errors';
import {
  type ForecastRunResult,
  SINGLE_INVOCATION_MAX_WORKLOADS,
  type WorkloadOutcome,
} from '../../../shared/forecaster';
import { makeMemoryRepositories } from '../../../shared/sim/memory-repositories';
import { harness, lastValueEngine, T0, workload } from './helpers';

describe('runForecast (the forecast handler core)', () => {
  it.each([
    [{ workloadIds: ['Not An Id'] }, 'workloadIds[0]'],
    [{ fullRefit: 'yes' }, 'fullRefit'],
    [{ page: { limit: 0 } }, 'page.limit'],
    [{ workloadIds: ['a'], page: { limit: 1 } }, 'page'],
    [{ workloadId: 'a' }, 'workloadId'],
    ['everything', '(root)'],
  ])('rejects %j naming `%s`', async (input, field) => {
    const h = harness();
    const error = await runForecast(input, h.ports).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ValidationError);
    expect((error as ValidationError).message).toContain(`\`${field}\``);
  });

  it('forecasts every workload for an EventBridge schedule event, and only the named ones otherwise', async () => {
    const h = harness();
    for (const id of ['a', 'b']) {
      await h.repositories.workloads.create(workload(id));
      h.demand.set(`${id}/requests`, () => 1_000);
      h.demand.set(`${id}/cpu`, () => 10);
    }
    const scheduled = {
      source: 'aws.events',
      'detail-type': 'Scheduled Event',
      detail: {},
      id: 'x',
      time: '',
    };

    const all = await runForecast(scheduled, h.ports, { engine: lastValueEngine });
    const one = await runForecast({ workloadIds: ['b'] }, h.ports, { engine: lastValueEngine });

    expect(all.outcomes.map((o) => o.workloadId)).toEqual(['a', 'b']);
    expect(one.outcomes.map((o) => o.workloadId)).toEqual(['b']);
  });
});

describe('summarize', () => {
  const outcome = (i: number, patch: Partial<WorkloadOutcome> = {}): WorkloadOutcome => ({
    workloadId: `w-${i}`,
    status: 'ok',
    score: 0.1234567891,
    contended: false,
    metrics: [],
    published: ['Forecast Computed'],
    ...patch,
  });
  const result = (outcomes: WorkloadOutcome[]): ForecastRunResult => ({
    startedAt: T0,
    workloads: outcomes.length,
    skipped: 0,
    ok: 0,
    degraded: 0,
    failed: 0,
    series: 0,
    eventsPublished: 0,
    publishFailures: [],
    outcomes,
  });

  it('lists failures first, then transitions, then the rest, compactly, and says when it cut', () => {
    const many = [
      ...Array.from({ length: MAX_LISTED_OUTCOMES + 5 }, (_, i) => outcome(i)),
      outcome(900, { transition: 'predicted', contended: true }),
      outcome(901, { status: 'failed', error: { name: 'NoDataError', message: 'metric cpu: none' } }),
    ];

    const summary = summarize(result(many));

    expect(summary.outcomes).toHaveLength(MAX_LISTED_OUTCOMES);
    expect(summary.truncated).toBe(true);
    expect(summary.outcomes[0]).toEqual({
      workloadId: 'w-901',
      status: 'failed',
      score: 0.123457,
      contended: false,
      error: 'NoDataError: metric cpu: none',
    });
    expect(summary.outcomes[1]).toMatchObject({ workloadId: 'w-900', transition: 'predicted' });
    expect(JSON.stringify(summary).length).toBeLessThan(256 * 1024);
  });
});

describe('runListWorkloads (fan-out first state)', () => {
  it('plans from a schedule event with the defaults, and from an operator input with its options', async () => {
    const repos = makeMemoryRepositories();
    for (const id of ['a', 'b', 'c']) await repos.workloads.create(workload(id));

    const scheduled = await runListWorkloads(
      { input: { source: 'aws.events', 'detail-type': 'Scheduled Event' } },
      { repositories: repos },
    );
    const manual = await runListWorkloads(
      { input: { threshold: 1, batchSize: 2, fullRefit: true } },
      { repositories: repos },
    );

    expect(scheduled).toMatchObject({
      mode: 'single',
      count: 3,
      threshold: SINGLE_INVOCATION_MAX_WORKLOADS,
      fullRefit: false,
      batches: [],
    });
    expect(manual).toMatchObject({ mode: 'distributed', count: 3, fullRefit: true });
    expect(manual.batches).toHaveLength(2);
  });

  it.each([
    [{ input: { batchSize: 0 } }, 'input.batchSize'],
    [{ input: { bogus: true } }, 'input.bogus'],
    [{}, 'input'],
  ])('rejects %j naming `%s`', async (input, field) => {
    const error = await runListWorkloads(input, { repositories: makeMemoryRepositories() }).catch(
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(ValidationError);
    expect((error as Error).message).toContain(`\`${field}\``);
  });
});

describe('runIngestSignal', () => {
  const detail = {
    signalId: 'campaign-7',
    tag: 'campaign',
    startsAt: T0,
    endsAt: T0 + 3_600_000,
    expectedUplift: 0.4,
  };

  it.each([
    ['an EventBridge event', { source: 'marketing', 'detail-type': 'Signal Scheduled', detail }],
    ['a bare signal', detail],
  ])('stores %s once however often it arrives', async (_, input) => {
    const repos = makeMemoryRepositories({ clock: new ManualClock(T0) });

    await runIngestSignal(input, { repositories: repos });
    const again = await runIngestSignal(input, { repositories: repos });

    expect(again).toEqual({ signalId: 'campaign-7', tag: 'campaign', startsAt: T0, endsAt: T0 + 3_600_000 });
    expect(await repos.signals.byTag('campaign', T0 - 1, T0 + 1)).toHaveLength(1);
  });

  it.each([
    [{ ...detail, endsAt: T0 - 1 }, 'endsAt'],
    [{ ...detail, tag: 'Campaign!' }, 'tag'],
    [{ source: 'x', 'detail-type': 'Forecast Computed', detail }, '`detail-type` = "Forecast Computed"'],
  ])('rejects %j', async (input, field) => {
    const error = await runIngestSignal(input, { repositories: makeMemoryRepositories() }).catch(
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(ValidationError);
    expect((error as Error).message).toContain(field);
  });
});
