import { CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import {
  CreateEventBusCommand,
  EventBridgeClient,
  PutRuleCommand,
  PutTargetsCommand,
} from '@aws-sdk/client-eventbridge';
import {
  CreateQueueCommand,
  GetQueueAttributesCommand,
  ReceiveMessageCommand,
  SQSClient,
} from '@aws-sdk/client-sqs';
import type { Context } from 'aws-lambda';
import { handler } from '../../functions/forecast';
import { resetRuntime } from '../../functions/runtime';
import { EVENT_BUS_ENV, resetEventsCache } from '../../functions/runtime/events';
import { resetMetricsCache } from '../../functions/runtime/metrics';
import { Workload } from '../../shared/schemas/workload';
import { workloadInput } from '../helpers/fixtures';
import { REGION, seedDailyWave, useMoto } from './harness';

/**
 * The forecaster end to end on moto: CloudWatch history seeded with PutMetricData, the real
 * forecast Lambda handler with the product's adapters (GetMetricData, the DynamoDB repositories,
 * PutEvents), and what a person reads back from AWS afterwards: the stored predictions in
 * DynamoDB and the events an EventBridge rule delivered to an SQS queue.
 */
jest.setTimeout(180_000);

const context = {
  functionName: 'forecast',
  awsRequestId: 'req-forecast',
  getRemainingTimeInMillis: () => 300_000,
} as unknown as Context;

const STEP = 300_000;
const BUS = 'shadowscale-e2e';

describe('the forecaster on moto', () => {
  const moto = useMoto();

  beforeEach(() => {
    // The handlers build their own clients from the environment (AWS_ENDPOINT_URL = moto).
    resetRuntime();
    resetMetricsCache();
    resetEventsCache();
    process.env[EVENT_BUS_ENV] = BUS;
  });
  afterAll(() => {
    delete process.env[EVENT_BUS_ENV];
    resetEventsCache();
    resetMetricsCache();
  });

  it('reads CloudWatch, stores predictions in DynamoDB and delivers its events to SQS through a rule', async () => {
    const m = moto();
    const config = { endpoint: m.endpoint, region: REGION };
    const cloudwatch = new CloudWatchClient(config);
    const events = new EventBridgeClient(config);
    const sqs = new SQSClient(config);
    try {
      const workload = Workload.parse(workloadInput());
      await m.repos.workloads.create(workload);
      // Three days of history per metric, 5-minute points, a daily wave.
      const now = Math.floor(Date.now() / STEP) * STEP;
      const start = now - 3 * 86_400_000;
      await seedDailyWave(cloudwatch, workload.metrics, start, now, STEP);
      // A rule on the product's bus that forwards everything from `shadowscale` to a queue.
      await events.send(new CreateEventBusCommand({ Name: BUS }));
      const queueUrl = (await sqs.send(new CreateQueueCommand({ QueueName: 'shadowscale-events' })))
        .QueueUrl as string;
      const queueArn = (
        await sqs.send(new GetQueueAttributesCommand({ QueueUrl: queueUrl, AttributeNames: ['QueueArn'] }))
      ).Attributes?.QueueArn as string;
      await events.send(
        new PutRuleCommand({
          Name: 'to-queue',
          EventBusName: BUS,
          EventPattern: JSON.stringify({ source: ['shadowscale'] }),
        }),
      );
      await events.send(
        new PutTargetsCommand({ Rule: 'to-queue', EventBusName: BUS, Targets: [{ Id: 'q', Arn: queueArn }] }),
      );

      const summary = (await handler({ workloadIds: [workload.workloadId] }, context)) as {
        ok: number;
        eventsPublished: number;
      };
      expect(summary.ok).toBe(1);

      // DynamoDB: a prediction per metric, starting after the last point read.
      for (const metric of workload.metrics) {
        const prediction = await m.repos.predictions.getLatest(workload.workloadId, metric.name);
        expect(prediction?.point.length).toBeGreaterThan(0);
        expect(prediction?.startMs).toBeGreaterThanOrEqual(now - STEP);
      }
      // SQS: what the rule delivered, as the bus carried it.
      const received = await sqs.send(
        new ReceiveMessageCommand({ QueueUrl: queueUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: 1 }),
      );
      const bodies = (received.Messages ?? []).map(
        (msg) =>
          JSON.parse(msg.Body ?? '{}') as {
            source?: string;
            'detail-type'?: string;
            detail?: { workloadId?: string };
          },
      );
      expect(bodies.length).toBe(summary.eventsPublished);
      expect(bodies.map((b) => b['detail-type'])).toContain('Forecast Computed');
      expect(
        bodies.every((b) => b.source === 'shadowscale' && b.detail?.workloadId === workload.workloadId),
      ).toBe(true);
    } finally {
      cloudwatch.destroy();
      events.destroy();
      sqs.destroy();
    }
  });
});
