import { ManualClock } from '../../../shared/clock';
import { documentClientFrom } from '../../../shared/data/client';
import { makeDynamoLifecycleRuns } from '../../../shared/data/lifecycle-runs';
import { makeDynamoRepositories } from '../../../shared/data/repositories';
import type { LifecycleRunRepository } from '../../../shared/ports/lifecycle';
import { LifecycleRun } from '../../../shared/schemas/lifecycle';
import { Operation } from '../../../shared/schemas/operation';
import { MemoryLifecycleRuns } from '../../../shared/sim/lifecycle';
import { useDynamo } from '../../helpers/dynamo';
import { epochAhead, HOUR_MS } from '../../helpers/epoch';

/** One contract for the lifecycle run store: DynamoDB (the operations table) and memory. */
const T0 = epochAhead(HOUR_MS);
const clock = new ManualClock(T0);

function run(eventId: string, holder = 'exec-1'): LifecycleRun {
  return LifecycleRun.parse({
    runId: `lifecycle#checkout-api#page#${eventId}`,
    workloadId: 'checkout-api',
    rule: 'page',
    eventId,
    holder,
    status: 'running',
    trigger: {
      detailType: 'Anomaly Detected',
      source: 'shadowscale',
      at: T0,
      time: new Date(T0).toISOString(),
      detail: { metric: 'requests' },
    },
    actions: [
      { type: 'notify', topicArn: 'arn:aws:sns:us-east-1:123456789012:oncall' },
      { type: 'set-priority', priority: 20 },
    ],
    startedAt: T0,
    updatedAt: T0,
  });
}

const outcome = (index: number, status: 'succeeded' | 'failed') => ({
  index,
  type: index === 0 ? ('notify' as const) : ('set-priority' as const),
  status,
  at: T0,
  detail: {},
});

function contract(name: string, store: () => LifecycleRunRepository): void {
  describe(`${name} lifecycle runs`, () => {
    it('claims a (rule, event) once: a second claim gets the first run back', async () => {
      const first = await store().claim(run('e-1'));
      const second = await store().claim(run('e-1', 'exec-2'));
      expect(first.created).toBe(true);
      expect(second).toEqual({ created: false, run: expect.objectContaining({ holder: 'exec-1' }) });
    });

    it('records each action once (the first outcome wins) and finishes once', async () => {
      await store().claim(run('e-2'));
      const id = run('e-2').runId;
      await store().recordOutcome(id, outcome(0, 'failed'));
      await store().recordOutcome(id, outcome(0, 'succeeded'));
      const after = await store().recordOutcome(id, outcome(1, 'succeeded'));
      expect(after.outcomes.map((o) => [o.index, o.status])).toEqual([
        [0, 'failed'],
        [1, 'succeeded'],
      ]);
      await store().finish(id, 'failed', 'action 0 failed');
      const again = await store().finish(id, 'succeeded', 'later');
      expect(again).toMatchObject({ status: 'failed', reason: 'action 0 failed' });
      expect(await store().get(id)).toEqual(again);
    });

    it('reads nothing for an unknown run and refuses to record on one', async () => {
      expect(await store().get('lifecycle#x#y#z')).toBeUndefined();
      await expect(store().recordOutcome('lifecycle#x#y#z', outcome(0, 'succeeded'))).rejects.toMatchObject({
        name: 'NotFoundError',
      });
    });
  });
}

describe('DynamoDB', () => {
  const env = useDynamo('lifecycle');
  const store = () =>
    makeDynamoLifecycleRuns(documentClientFrom(env().client), env().names.operations, clock);
  contract('DynamoDB', store);

  it('keeps runs out of the operations listings (no index attributes)', async () => {
    const repos = makeDynamoRepositories({ client: env().client, names: env().names, clock });
    await store().claim(run('e-9'));
    await repos.operations.createOrGet(
      Operation.parse({
        operationId: 'migration-1',
        workloadId: 'checkout-api',
        kind: 'migration',
        status: 'running',
        startedAt: T0,
        updatedAt: T0,
      }),
    );
    const listed = await repos.operations.listByWorkload('checkout-api');
    expect(listed.items.map((o) => o.operationId)).toEqual(['migration-1']);
  });
});

const memory = new MemoryLifecycleRuns(clock);
contract('memory', () => memory);
