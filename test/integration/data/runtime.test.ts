import { IdempotencyAlreadyInProgressError } from '@aws-lambda-powertools/idempotency';
import { ScanCommand } from '@aws-sdk/client-dynamodb';
import type { Context } from 'aws-lambda';
import {
  dynamoIdempotencyPersistence,
  idempotent,
  resetIdempotency,
  setIdempotencyPersistence,
} from '../../../functions/runtime/idempotency';
import { resetRuntime, setRuntime } from '../../../functions/runtime/index';
import { repositories, resetRepositoriesCache } from '../../../functions/runtime/repositories';
import { ManualClock } from '../../../shared/clock';
import { TABLE_PREFIX_ENV, tableNamesFromPrefix } from '../../../shared/data/tables';
import { makeMemoryRepositories } from '../../../shared/sim/memory-repositories';
import { useDynamo } from '../../helpers/dynamo';
import { T0, uid, workloadFixture } from '../../unit/data/repository-contract';

jest.setTimeout(60_000);

const context = {
  functionName: 'test-fn',
  awsRequestId: 'req-1',
  getRemainingTimeInMillis: () => 30_000,
} as unknown as Context;

describe('functions/runtime over a local DynamoDB', () => {
  const dynamo = useDynamo('runtime');
  const saved = { ...process.env };

  afterEach(() => {
    process.env = { ...saved };
    resetRuntime();
    resetRepositoriesCache();
    resetIdempotency();
  });

  it('builds the DynamoDB repositories lazily from the environment (prefix and SDK endpoint)', async () => {
    const { endpoint, names } = dynamo();
    const prefix = names.workloads.replace(/-workloads$/, '');
    expect(tableNamesFromPrefix(prefix)).toEqual(names);
    process.env[TABLE_PREFIX_ENV] = prefix;
    process.env.AWS_ENDPOINT_URL_DYNAMODB = endpoint;
    const clock = new ManualClock(T0);
    setRuntime({ clock });

    const id = uid('rt');
    const repos = repositories();
    expect(repositories()).toBe(repos);
    const created = await repos.workloads.create(workloadFixture(id));
    // The runtime clock is read at each call, not captured at construction.
    expect(created.createdAt).toBe(T0);
    expect((await repos.workloads.get(id))?.version).toBe(1);
  });

  it('lets setRuntime({ repositories }) win over the DynamoDB ones', () => {
    const memory = makeMemoryRepositories();
    setRuntime({ repositories: memory });
    expect(repositories()).toBe(memory);
  });

  it('builds the idempotency layer lazily on the idempotency table from the environment', async () => {
    const { endpoint, names, client } = dynamo();
    process.env[TABLE_PREFIX_ENV] = names.workloads.replace(/-workloads$/, '');
    process.env.AWS_ENDPOINT_URL_DYNAMODB = endpoint;
    let runs = 0;
    const handler = idempotent(
      async (event: { id: string }) => {
        runs++;
        return { id: event.id, runs };
      },
      { eventKeyJmesPath: 'id', keyPrefix: uid('fn') },
    );
    const first = await handler({ id: 'x' }, context);
    expect(await handler({ id: 'x' }, context)).toEqual(first);
    expect(runs).toBe(1);
    const { Items } = await client.send(new ScanCommand({ TableName: names.idempotency }));
    expect(
      (Items ?? []).some((item) => item.status?.S === 'COMPLETED' && item.expiration?.N !== undefined),
    ).toBe(true);
  });

  describe('idempotency', () => {
    beforeEach(() => {
      const { client, names } = dynamo();
      setIdempotencyPersistence(dynamoIdempotencyPersistence(client, names.idempotency));
    });

    it('returns the first result on a retry without running the function again', async () => {
      let runs = 0;
      const handler = idempotent(
        async (event: { operationId: string; step: string }) => {
          runs++;
          return { ran: runs, step: event.step };
        },
        { eventKeyJmesPath: 'operationId', keyPrefix: uid('fn') },
      );
      const first = await handler({ operationId: 'op-1', step: 'a' }, context);
      const retry = await handler({ operationId: 'op-1', step: 'a' }, context);
      expect(first).toEqual({ ran: 1, step: 'a' });
      expect(retry).toEqual(first);
      expect(runs).toBe(1);
      const other = await handler({ operationId: 'op-2', step: 'a' }, context);
      expect(other).toEqual({ ran: 2, step: 'a' });
    });

    it('refuses a concurrent duplicate while the first is in progress', async () => {
      let release: () => void = () => {};
      const gate = new Promise<void>((resolve) => {
        release = resolve;
      });
      let runs = 0;
      const handler = idempotent(
        async (_event: { operationId: string }) => {
          runs++;
          await gate;
          return { ok: true };
        },
        { eventKeyJmesPath: 'operationId', keyPrefix: uid('fn') },
      );
      const first = handler({ operationId: 'op-1' }, context);
      // Let the first call write its INPROGRESS record before the duplicate arrives.
      for (let i = 0; i < 50 && runs === 0; i++) await new Promise((resolve) => setTimeout(resolve, 10));
      await expect(handler({ operationId: 'op-1' }, context)).rejects.toBeInstanceOf(
        IdempotencyAlreadyInProgressError,
      );
      release();
      await expect(first).resolves.toEqual({ ok: true });
      expect(runs).toBe(1);
      await expect(handler({ operationId: 'op-1' }, context)).resolves.toEqual({ ok: true });
    });

    it('does not store a failure: a retry after an error runs again', async () => {
      let runs = 0;
      const handler = idempotent(
        async (_event: { operationId: string }) => {
          runs++;
          if (runs === 1) throw new Error('transient');
          return { ok: runs };
        },
        { eventKeyJmesPath: 'operationId', keyPrefix: uid('fn') },
      );
      await expect(handler({ operationId: 'op-9' }, context)).rejects.toThrow('transient');
      await expect(handler({ operationId: 'op-9' }, context)).resolves.toEqual({ ok: 2 });
    });
  });
});
