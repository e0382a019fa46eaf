import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { MetricUnit } from '@aws-lambda-powertools/metrics';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import { parser } from '@aws-lambda-powertools/parser/middleware';
import { captureLambdaHandler } from '@aws-lambda-powertools/tracer/middleware';
import middy from '@middy/core';
import { compute } from '../runtime/compute';
import { clock } from '../runtime/index';
import { countFailures, entry, logger, metrics, parsedOrThrow, tracer } from '../runtime/powertools';
import { repositories } from '../runtime/repositories';
import { standby } from '../runtime/standby';
import { traffic } from '../runtime/traffic';
import { PrewarmInput, type PrewarmResult, prewarmWorkload, workloadIdOf } from './core';

/**
 * Pre-warm Lambda: the target of the `Forecast Computed` rule. Sets the primary's floor ahead of the
 * forecast demand and sizes a shadow pool that carries traffic (shared/prewarm, planned by
 * shared/planning); scale-in above the floor stays with the service's own target tracking. The
 * parser middleware rejects a bad event with a ValidationError before any port is built.
 */
export const handler = entry(
  middy()
    .use(injectLambdaContext(logger))
    .use(logMetrics(metrics))
    .use(countFailures('PrewarmFailed'))
    .use(captureLambdaHandler(tracer))
    .use(parser({ schema: PrewarmInput, safeParse: true }))
    .handler(async (event): Promise<PrewarmResult> => {
      const result = await prewarmWorkload(workloadIdOf(parsedOrThrow(event, 'prewarm input')), {
        clock: clock(),
        repositories: repositories(),
        compute: compute(),
        traffic: traffic(),
        // Set by infra only where the app has a standby region (and the grants to scale there).
        ...(process.env.SHADOWSCALE_STANDBY_REGION
          ? { standby: { standby: standby(), operations: repositories().operations } }
          : {}),
      });
      metrics.addMetric(
        result.action === 'scale-out' ? 'PrewarmScaleOut' : 'PrewarmHold',
        MetricUnit.Count,
        1,
      );
      if (result.limitedByMax) metrics.addMetric('PrewarmLimitedByMax', MetricUnit.Count, 1);
      logger.info(result.reason, { workloadId: result.workloadId, desired: result.desired });
      return result;
    }),
);
