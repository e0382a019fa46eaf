import { DescribeServicesCommand } from '@aws-sdk/client-ecs';
import type { Context } from 'aws-lambda';
import { handler } from '../../functions/prewarm';
import type { Prediction } from '../../shared/schemas/series';
import { ecsWorld, registerEcsWorkload, useMoto } from './harness';

jest.setTimeout(120_000);
const context = {
  functionName: 'prewarm',
  awsRequestId: 'req-1',
  getRemainingTimeInMillis: () => 60_000,
} as unknown as Context;

function forecast(metric: string, generatedAt: number, value: number): Prediction {
  const values = Array.from({ length: 12 }, () => value);
  return {
    workloadId: 'checkout-api',
    metric,
    generatedAt,
    startMs: generatedAt + 300_000,
    intervalMs: 300_000,
    point: values,
    quantiles: [
      { q: 0.5, values },
      { q: 0.95, values },
    ],
    model: 'ets',
    confidence: 'high',
    signals: [],
  };
}

describe('pre-warm on moto', () => {
  const moto = useMoto();

  it('raises the ECS service desired count ahead of the forecast demand, read back with DescribeServices', async () => {
    const m = moto();
    const world = await ecsWorld(m, { units: 2 });
    await registerEcsWorkload(m, world);
    const now = Date.now();
    // About 50,000 requests per 5 minutes and 90 % CPU: far above what 2 tasks serve.
    await m.repos.predictions.putPrediction(forecast('requests', now, 50_000));
    await m.repos.predictions.putPrediction(forecast('cpu', now, 90));

    await handler(
      { 'detail-type': 'Forecast Computed', source: 'shadowscale', detail: { workloadId: 'checkout-api' } },
      context,
    );

    const service = (
      await m.ecs.send(new DescribeServicesCommand({ cluster: world.cluster, services: [world.service] }))
    ).services?.[0];
    expect(service?.desiredCount).toBeGreaterThan(2);
    expect(service?.desiredCount).toBeLessThanOrEqual(20);
  });
});
