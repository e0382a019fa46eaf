import type { Context } from 'aws-lambda';
import {
  compensateHandler,
  leaseHandler,
  shiftHandler,
  validateHandler,
} from '../../../functions/migration/index';
import { resetRuntime, setRuntime } from '../../../functions/runtime';
import { ManualClock } from '../../../shared/clock';
import type { TrafficRouter } from '../../../shared/ports/traffic';
import type { TrafficWeights } from '../../../shared/schemas/operation';
import { Workload } from '../../../shared/schemas/workload';
import { MemoryEventPublisher } from '../../../shared/sim/memory-events';
import { makeMemoryRepositories } from '../../../shared/sim/memory-repositories';
import { workloadInput } from '../../helpers/fixtures';

const context = {
  functionName: 'MigrationTask',
  functionVersion: '$LATEST',
  invokedFunctionArn: 'arn:aws:lambda:us-east-1:123456789012:function:MigrationTask',
  memoryLimitInMB: '256',
  awsRequestId: 'req-1',
  logGroupName: '/aws/lambda/MigrationTask',
  logStreamName: 's',
  getRemainingTimeInMillis: () => 30_000,
} as unknown as Context;

const workload = Workload.parse(workloadInput());

class Router implements TrafficRouter {
  weights: TrafficWeights = { primary: 100, shadow: 0 };
  lag = false;
  async getWeights(): Promise<TrafficWeights> {
    return this.weights;
  }
  async setWeights(_w: Workload, weights: TrafficWeights): Promise<void> {
    if (!this.lag) this.weights = weights;
  }
  async healthyTargets(): Promise<number> {
    return 2;
  }
}

async function install(router = new Router()) {
  const clock = new ManualClock(Date.UTC(2026, 10, 23));
  const repositories = makeMemoryRepositories({ clock });
  await repositories.workloads.create(workload);
  const events = new MemoryEventPublisher();
  setRuntime({ clock, repositories, events, traffic: router });
  return { repositories, events, router };
}

afterEach(() => resetRuntime());

describe('migration Lambda handlers (middy + Powertools)', () => {
  it('validate returns the run context and throws ValidationError (by name) on bad input', async () => {
    await install();
    await expect(
      validateHandler(
        {
          input: { workloadId: 'checkout-api', steps: [50, 100] },
          executionName: 'exec-1',
          kind: 'migration',
        },
        context,
      ),
    ).resolves.toEqual({
      workloadId: 'checkout-api',
      operationId: 'exec-1',
      kind: 'migration',
      reason: 'migration requested',
      overrides: { steps: [50, 100] },
    });
    await expect(
      validateHandler(
        { input: { workloadId: 'checkout-api', steps: 'all' }, executionName: 'exec-1', kind: 'migration' },
        context,
      ),
    ).rejects.toMatchObject({
      name: 'ValidationError',
      message: expect.stringContaining('field `steps` = "all"'),
    });
  });

  it('lease creates the operation with the verified initial weights and publishes Migration Started once', async () => {
    const { repositories, events } = await install();
    const ctx = { workloadId: 'checkout-api', operationId: 'op-1', kind: 'migration', reason: 'test' };
    await expect(leaseHandler(ctx, context)).resolves.toMatchObject({
      resumed: false,
      initialWeights: { primary: 100, shadow: 0 },
    });
    await expect(leaseHandler(ctx, context)).resolves.toMatchObject({ resumed: true });
    expect(events.ofType('Migration Started')).toHaveLength(1);
    expect((await repositories.operations.getLease('checkout-api'))?.holder).toBe('op-1');
    await expect(leaseHandler({ ...ctx, operationId: 'op-2' }, context)).rejects.toMatchObject({
      name: 'LeaseHeldError',
    });
  });

  it('shift throws WeightMismatchError when the router does not read back the weights', async () => {
    const router = new Router();
    router.lag = true;
    const { repositories } = await install(router);
    await leaseHandler(
      { workloadId: 'checkout-api', operationId: 'op-1', kind: 'migration', reason: 'test' },
      context,
    );
    const plan = {
      kind: 'migration',
      direction: 'to-shadow',
      steps: [10, 100],
      startIndex: 0,
      bakeSeconds: 0,
      bakeWaitSeconds: 120,
      gateWindowSeconds: 60,
      gateRetrySeconds: 15,
      gate: workload.migration.gate,
      firstPollSeconds: 180,
      pollSeconds: 15,
      maxPolls: 10,
      shadow: { units: 2 },
      minHealthyTargets: 2,
      sizing: { source: 'override' },
      holdSeconds: 0,
      force: false,
      initialWeights: { primary: 100, shadow: 0 },
    };
    await expect(
      shiftHandler({ workloadId: 'checkout-api', operationId: 'op-1', plan, index: 0 }, context),
    ).rejects.toMatchObject({
      name: 'WeightMismatchError',
    });
    // Nothing unverified is recorded as verified.
    expect((await repositories.operations.get('op-1'))?.lastVerifiedWeights).toEqual({
      primary: 100,
      shadow: 0,
    });
    await expect(
      shiftHandler({ workloadId: 'checkout-api', operationId: 'op-1', plan, index: 5 }, context),
    ).rejects.toMatchObject({
      name: 'ValidationError',
    });
  });
});

describe('migration manifest', () => {
  it('names an exported handler of its entry for every function', async () => {
    const { MIGRATION_FUNCTIONS } = await import('../../../functions/migration/manifest');
    const entry = (await import('../../../functions/migration/index')) as Record<string, unknown>;
    for (const spec of MIGRATION_FUNCTIONS) {
      expect({ id: spec.id, entry: spec.entry, type: typeof entry[spec.handler ?? 'handler'] }).toEqual({
        id: spec.id,
        entry: 'functions/migration/index.ts',
        type: 'function',
      });
      expect(spec.substitution).toBe(`${spec.id}FunctionArn`);
    }
  });
});

describe('compensation', () => {
  it('leaves traffic alone when another operation has taken the workload lease', async () => {
    const router = new Router();
    const { repositories } = await install(router);
    await leaseHandler(
      { workloadId: 'checkout-api', operationId: 'op-old', kind: 'migration', reason: 'test' },
      context,
    );
    router.weights = { primary: 50, shadow: 50 };
    await repositories.operations.releaseLease('checkout-api', 'op-old');
    await repositories.operations.acquireLease('checkout-api', 'op-new', 60_000);
    const result = await compensateHandler(
      {
        workloadId: 'checkout-api',
        operationId: 'op-old',
        kind: 'migration',
        error: { Error: 'GateFailedError', Cause: 'x' },
      },
      context,
    );
    expect(result).toMatchObject({ restored: false, reason: expect.stringContaining('leased by op-new') });
    expect(router.weights).toEqual({ primary: 50, shadow: 50 });
    expect((await repositories.operations.get('op-old'))?.status).toBe('failed');
    expect((await repositories.operations.getLease('checkout-api'))?.holder).toBe('op-new');
  });
});
