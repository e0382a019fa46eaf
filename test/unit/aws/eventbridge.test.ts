import { EventBridgeClient, PutEventsCommand, type PutEventsRequestEntry } from '@aws-sdk/client-eventbridge';
import { mockClient } from 'aws-sdk-client-mock';
import { EventBridgePublisher, entrySize } from '../../../shared/aws/eventbridge';
import type { ShadowscaleEvent } from '../../../shared/schemas/events';
import { MemoryEventPublisher } from '../../../shared/sim/memory-events';

const eb = mockClient(EventBridgeClient);
afterEach(() => eb.reset());

const T0 = 1_700_000_000_000;
const computed = (i: number): ShadowscaleEvent => ({
  detailType: 'Forecast Computed',
  detail: {
    workloadId: `w-${i}`,
    generatedAt: T0,
    metrics: [
      { metric: 'cpu', model: 'ets', confidence: 'high', horizonSteps: 12, peakP50: 1, peakAtQuantile: 2 },
    ],
    contentionScore: 0,
  },
});
const cleared: ShadowscaleEvent = {
  detailType: 'Contention Cleared',
  detail: { workloadId: 'w-x', score: 0, clearThreshold: 0.01, clearedAt: T0 },
};

function publisher(sleeps: number[] = []) {
  return new EventBridgePublisher(new EventBridgeClient({}), {
    busName: 'shadowscale-bus',
    sleep: async (ms) => {
      sleeps.push(ms);
    },
    random: () => 1,
  });
}

function sentEntries(): PutEventsRequestEntry[][] {
  return eb.commandCalls(PutEventsCommand).map((c) => c.args[0].input.Entries ?? []);
}

const ok = (n: number, offset = 0) => ({
  FailedEntryCount: 0,
  Entries: Array.from({ length: n }, (_, i) => ({ EventId: `id-${offset + i}` })),
});

describe('EventBridgePublisher', () => {
  it('sends batches of at most 10 entries with source, detail type, bus and JSON detail', async () => {
    eb.on(PutEventsCommand).callsFake((input: { Entries: unknown[] }) => ok(input.Entries.length));
    const events = Array.from({ length: 23 }, (_, i) => computed(i));

    const result = await publisher().publish(events);

    expect(result).toEqual({ published: 23, failed: [] });
    expect(sentEntries().map((b) => b.length)).toEqual([10, 10, 3]);
    const first = sentEntries()[0]?.[0];
    expect(first).toEqual({
      Source: 'shadowscale',
      DetailType: 'Forecast Computed',
      EventBusName: 'shadowscale-bus',
      Detail: JSON.stringify(computed(0).detail),
    });
  });

  it('validates each detail before PutEvents and reports the invalid one without sending it', async () => {
    eb.on(PutEventsCommand).callsFake((input: { Entries: unknown[] }) => ok(input.Entries.length));
    const bad = {
      detailType: 'Contention Cleared',
      detail: { workloadId: 'Not_A_Valid_Id', score: 0, clearThreshold: 0.01, clearedAt: T0 },
    } as ShadowscaleEvent;

    const result = await publisher().publish([computed(1), bad, cleared]);

    expect(result.published).toBe(2);
    expect(result.failed).toHaveLength(1);
    expect(result.failed[0]?.event).toBe(bad);
    expect(result.failed[0]?.error).toMatch(/ValidationError: .*`workloadId` = "Not_A_Valid_Id"/);
    expect(
      sentEntries()
        .flat()
        .map((e) => e.DetailType),
    ).toEqual(['Forecast Computed', 'Contention Cleared']);
  });

  it('retries only the entries PutEvents reported as failed, with growing backoff', async () => {
    eb.on(PutEventsCommand)
      .resolvesOnce({
        FailedEntryCount: 2,
        Entries: [
          { EventId: 'a' },
          { ErrorCode: 'ThrottlingException', ErrorMessage: 'slow down' },
          { EventId: 'c' },
          { ErrorCode: 'InternalFailure', ErrorMessage: 'oops' },
        ],
      })
      .resolvesOnce({
        FailedEntryCount: 1,
        Entries: [{ EventId: 'b' }, { ErrorCode: 'InternalFailure', ErrorMessage: 'oops' }],
      })
      .resolves(ok(1));
    const sleeps: number[] = [];
    const events = [computed(0), computed(1), computed(2), computed(3)];

    const result = await publisher(sleeps).publish(events);

    expect(result).toEqual({ published: 4, failed: [] });
    const detailIds = sentEntries().map((b) => b.map((e) => JSON.parse(e.Detail ?? '{}').workloadId));
    expect(detailIds).toEqual([['w-0', 'w-1', 'w-2', 'w-3'], ['w-1', 'w-3'], ['w-3']]);
    expect(sleeps).toEqual([100, 200]);
  });

  it('reports what still fails after the last attempt, with the last error', async () => {
    eb.on(PutEventsCommand).resolves({
      FailedEntryCount: 1,
      Entries: [{ ErrorCode: 'ThrottlingException', ErrorMessage: 'slow down' }],
    });
    const sleeps: number[] = [];

    const result = await publisher(sleeps).publish([computed(7)]);

    expect(result.published).toBe(0);
    expect(result.failed).toEqual([{ event: computed(7), error: 'ThrottlingException: slow down' }]);
    expect(eb.commandCalls(PutEventsCommand)).toHaveLength(4);
    expect(sleeps).toEqual([100, 200, 400]);
  });

  it('does not retry permanent entry errors', async () => {
    eb.on(PutEventsCommand).resolves({
      FailedEntryCount: 1,
      Entries: [{ ErrorCode: 'AccessDeniedException', ErrorMessage: 'no' }],
    });

    const result = await publisher().publish([computed(1)]);

    expect(result.failed.map((f) => f.error)).toEqual(['AccessDeniedException: no']);
    expect(eb.commandCalls(PutEventsCommand)).toHaveLength(1);
  });

  it('retries a whole request that threw (throttled) and then succeeds', async () => {
    const throttled = Object.assign(new Error('Rate exceeded'), { name: 'ThrottlingException' });
    eb.on(PutEventsCommand).rejectsOnce(throttled).resolves(ok(2));

    const result = await publisher().publish([computed(1), computed(2)]);

    expect(result).toEqual({ published: 2, failed: [] });
    expect(eb.commandCalls(PutEventsCommand)).toHaveLength(2);
  });

  it('splits requests so none exceeds 256 KiB', async () => {
    eb.on(PutEventsCommand).callsFake((input: { Entries: unknown[] }) => ok(input.Entries.length));
    // Big but valid details: a long metric name list makes each entry ~60 KiB.
    const big = (i: number): ShadowscaleEvent => {
      const event = computed(i);
      if (event.detailType === 'Forecast Computed') {
        event.detail.metrics = Array.from({ length: 600 }, (_, k) => ({
          metric: `m${k}`.padEnd(50, 'x'),
          model: 'ets',
          confidence: 'high' as const,
          horizonSteps: 12,
          peakP50: 1,
          peakAtQuantile: 2,
        }));
      }
      return event;
    };
    const events = Array.from({ length: 10 }, (_, i) => big(i));

    const result = await publisher().publish(events);

    expect(result.published).toBe(10);
    for (const batch of sentEntries()) {
      expect(batch.reduce((sum, e) => sum + entrySize(e), 0)).toBeLessThanOrEqual(256 * 1024);
    }
    expect(sentEntries().length).toBeGreaterThan(1);
  });
});

describe('MemoryEventPublisher', () => {
  it('records valid events in order and rejects invalid details like EventBridge would', async () => {
    const bus = new MemoryEventPublisher();
    const seen: string[] = [];
    bus.subscribe((e) => seen.push(e.detailType));
    const bad = { detailType: 'Contention Cleared', detail: { workloadId: 'x' } } as ShadowscaleEvent;

    const result = await bus.publish([computed(1), bad, cleared]);

    expect(result.published).toBe(2);
    expect(result.failed[0]?.error).toMatch(
      /^ValidationError: Contention Cleared detail: field `score` missing/,
    );
    expect(bus.events).toEqual([computed(1), cleared]);
    expect(bus.ofType('Contention Cleared')).toEqual([cleared]);
    expect(seen).toEqual(['Forecast Computed', 'Contention Cleared']);
  });

  it('fails chosen events on demand', async () => {
    const bus = new MemoryEventPublisher();
    bus.failWhen((e) => (e.detailType === 'Contention Cleared' ? 'InternalFailure: injected' : undefined));

    const result = await bus.publish([computed(1), cleared]);

    expect(result.failed).toEqual([{ event: cleared, error: 'InternalFailure: injected' }]);
    expect(bus.events).toEqual([computed(1)]);
  });
});
