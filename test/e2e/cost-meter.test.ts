import { CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { CloudWatchMetricsSource } from '../../shared/aws/cloudwatch-metrics';
import { ManualClock } from '../../shared/clock';
import { MemoryMeter } from '../../shared/cost/meter';
import { makeDynamoRepositories } from '../../shared/data/repositories';
import { createTables, deleteTables, tableNamesFromPrefix } from '../../shared/data/tables';
import { runForecaster } from '../../shared/forecaster/service';
import type { Repositories } from '../../shared/ports/repositories';
import { Workload } from '../../shared/schemas/workload';
import { MemoryEventPublisher } from '../../shared/sim/memory-events';
import { makeMemoryRepositories } from '../../shared/sim/memory-repositories';
import { uniqueTablePrefix } from '../helpers/dynamo';
import { workloadInput } from '../helpers/fixtures';
import { startDynamoDbLocal } from '../servers/dynamodb-local';
import type { ServerProcess } from '../servers/process';
import { REGION, seedDailyWave, useMoto } from './harness';

/**
 * The cost model's counts against what the emulators saw: one forecaster pass reads CloudWatch
 * history from moto and stores its predictions, model states and decision in AWS's DynamoDB
 * Local. A middleware on each SDK client records what the requests carried: the metric queries of
 * every GetMetricData, and the capacity DynamoDB Local reports consuming for every request
 * (ReturnConsumedCapacity). The meter's counts must equal both, and the in-memory store the
 * simulator uses must count the same units for the same pass.
 */
jest.setTimeout(240_000);

const STEP = 300_000;
type Handler = (args: { input: Record<string, unknown> }) => Promise<{ output: Record<string, unknown> }>;

const WRITES = new Set(['PutItemCommand', 'UpdateItemCommand', 'DeleteItemCommand', 'BatchWriteItemCommand']);
const READS = new Set(['GetItemCommand', 'BatchGetItemCommand', 'QueryCommand']);

function consumed(output: Record<string, unknown>): number {
  const c = output.ConsumedCapacity as { CapacityUnits?: number } | { CapacityUnits?: number }[] | undefined;
  if (c === undefined) return Number.NaN;
  return (Array.isArray(c) ? c : [c]).reduce((sum, x) => sum + (x.CapacityUnits ?? 0), 0);
}

describe('the cost meter against moto and DynamoDB Local', () => {
  const moto = useMoto();
  let dynamoLocal: ServerProcess | undefined;
  beforeAll(async () => {
    dynamoLocal = await startDynamoDbLocal();
  }, 120_000);
  afterAll(async () => {
    await dynamoLocal?.stop();
  });

  it('counts the metrics requested and the request units the emulators report', async () => {
    const m = moto();
    const cloudwatch = new CloudWatchClient({ endpoint: m.endpoint, region: REGION });
    const dynamo = new DynamoDBClient({
      endpoint: (dynamoLocal as ServerProcess).endpoint,
      region: REGION,
      maxAttempts: 3,
    });
    const names = tableNamesFromPrefix(uniqueTablePrefix('cost'));
    const carried = { metrics: 0, writes: 0, reads: 0, unreported: 0 };
    // The model state's items each request touched: the per-run item and the fit-only part.
    const stateItems: string[] = [];
    cloudwatch.middlewareStack.add(
      (next, context) => async (args) => {
        if (context.commandName === 'GetMetricDataCommand')
          carried.metrics += (
            (args.input as { MetricDataQueries?: unknown[] }).MetricDataQueries ?? []
          ).length;
        return next(args);
      },
      { step: 'initialize', name: 'countMetricQueries' },
    );
    dynamo.middlewareStack.add(
      (next, context) => async (args) => {
        const command = context.commandName ?? '';
        const counted = WRITES.has(command) || READS.has(command);
        if (counted) (args.input as Record<string, unknown>).ReturnConsumedCapacity = 'TOTAL';
        const { Item, Key } = args.input as { Item?: { sk?: unknown }; Key?: { sk?: unknown } };
        const sk = Item?.sk ?? Key?.sk;
        if (typeof sk === 'string' && sk.startsWith('state')) stateItems.push(`${command} ${sk}`);
        const result = await (next as unknown as Handler)(args as { input: Record<string, unknown> });
        if (counted) {
          const units = consumed(result.output);
          if (Number.isNaN(units)) carried.unreported++;
          else if (WRITES.has(command)) carried.writes += units;
          else carried.reads += units;
          // DynamoDB Local reports 0 for a Query that reads nothing; DynamoDB bills its minimum,
          // half a unit when eventually consistent (what the meter counts).
          if (command === 'QueryCommand' && units === 0 && result.output.Count === 0) carried.reads += 0.5;
          // Likewise for the keys of a BatchGetItem that find nothing: DynamoDB processes each key
          // as a GetItem (the minimum when absent, half a unit eventually consistent), DynamoDB
          // Local reports nothing for them.
          if (command === 'BatchGetItemCommand') {
            const requested = Object.values(
              (args.input as { RequestItems?: Record<string, { Keys?: unknown[] }> }).RequestItems ?? {},
            ).reduce((n, r) => n + (r.Keys?.length ?? 0), 0);
            const found = Object.values((result.output.Responses ?? {}) as Record<string, unknown[]>).reduce(
              (n, r) => n + r.length,
              0,
            );
            carried.reads += 0.5 * (requested - found);
          }
        }
        return result as never;
      },
      { step: 'initialize', name: 'consumedCapacity' },
    );
    try {
      await createTables(dynamo, names);
      const workload = Workload.parse(workloadInput());
      // Two days of 5-minute history per metric, then one point more before the second pass.
      const now = Math.floor(Date.now() / STEP) * STEP;
      const start = now - 2 * 86_400_000;
      const seed = (from: number, to: number) => seedDailyWave(cloudwatch, workload.metrics, from, to, STEP);
      await seed(start, now);
      const clock = new ManualClock(now + 90_000);
      const pass = async (repositories: Repositories, meter: MemoryMeter, register = true) => {
        if (register) await repositories.workloads.create(workload);
        // Registration is not part of the pass.
        meter.take();
        const before = { ...carried };
        const result = await runForecaster(
          { workloadIds: [workload.workloadId] },
          {
            clock,
            metrics: new CloudWatchMetricsSource(cloudwatch, { meter }),
            events: new MemoryEventPublisher(meter),
            repositories,
          },
        );
        expect(result.ok).toBe(1);
        return {
          usage: meter.take(),
          carried: {
            metrics: carried.metrics - before.metrics,
            writes: carried.writes - before.writes,
            reads: carried.reads - before.reads,
          },
        };
      };

      // Two passes on each store: a full fit (both model state items written), then the next
      // run (the per-run item read with its part, and only the per-run item written).
      const dynamoMeter = new MemoryMeter();
      const dynamoRepos = makeDynamoRepositories({ client: dynamo, names, clock, meter: dynamoMeter });
      const deployed = await pass(dynamoRepos, dynamoMeter);
      const firstItems = stateItems.splice(0);
      await seed(now, now + STEP);
      clock.set(now + STEP + 90_000);
      const next = await pass(dynamoRepos, dynamoMeter, false);
      const nextItems = stateItems.splice(0);
      expect(carried.unreported).toBe(0);
      // CloudWatch: every metric query a request carried was counted, and nothing else.
      expect(deployed.carried.metrics).toBeGreaterThan(0);
      expect(deployed.usage['cloudwatch.metrics-requested']).toBe(deployed.carried.metrics);
      expect(next.usage['cloudwatch.metrics-requested']).toBe(next.carried.metrics);
      // DynamoDB: the units counted by item size are the units DynamoDB Local consumed.
      expect(deployed.carried.writes).toBeGreaterThan(0);
      expect(deployed.usage['dynamodb.write-units']).toBe(deployed.carried.writes);
      expect(deployed.usage['dynamodb.read-units']).toBe(deployed.carried.reads);
      expect(next.usage['dynamodb.write-units']).toBe(next.carried.writes);
      expect(next.usage['dynamodb.read-units']).toBe(next.carried.reads);
      // The layout those counts cover, per metric: the fit wrote the part and the per-run item;
      // the next run read both and wrote the per-run item alone.
      const metrics = workload.metrics.length;
      const count = (list: string[], entry: string) => list.filter((x) => x === entry).length;
      expect(count(firstItems, 'PutItemCommand state#base#0')).toBe(metrics);
      expect(count(firstItems, 'PutItemCommand state')).toBe(metrics);
      expect(count(nextItems, 'GetItemCommand state')).toBe(metrics);
      expect(count(nextItems, 'GetItemCommand state#base#0')).toBe(metrics);
      expect(count(nextItems, 'PutItemCommand state')).toBe(metrics);
      expect(nextItems.filter((x) => x.startsWith('PutItemCommand state#base'))).toEqual([]);

      // The simulator's store counts the same units for the same passes.
      clock.set(now + 90_000);
      const memoryMeter = new MemoryMeter();
      const memoryRepos = makeMemoryRepositories({ clock, meter: memoryMeter });
      const simulated = await pass(memoryRepos, memoryMeter);
      clock.set(now + STEP + 90_000);
      const simulatedNext = await pass(memoryRepos, memoryMeter, false);
      expect(simulated.usage['cloudwatch.metrics-requested']).toBe(deployed.carried.metrics);
      expect(simulated.usage['dynamodb.write-units']).toBe(deployed.carried.writes);
      expect(simulated.usage['dynamodb.read-units']).toBe(deployed.carried.reads);
      expect(simulatedNext.usage['dynamodb.write-units']).toBe(next.carried.writes);
      expect(simulatedNext.usage['dynamodb.read-units']).toBe(next.carried.reads);
    } finally {
      await deleteTables(dynamo, names).catch(() => {});
      cloudwatch.destroy();
      dynamo.destroy();
    }
  });
});
