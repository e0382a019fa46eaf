import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { MetricUnit } from '@aws-lambda-powertools/metrics';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import { parser } from '@aws-lambda-powertools/parser/middleware';
import { captureLambdaHandler } from '@aws-lambda-powertools/tracer/middleware';
import middy from '@middy/core';
import { countFailures, entry, logger, metrics, parsedOrThrow, tracer } from '../runtime/powertools';
import { repositories } from '../runtime/repositories';
import { IngestSignalInput, type IngestSignalResult, ingestSignal } from './core';

export { runIngestSignal } from './core';

/** Target of the `Signal Scheduled` rule; a bad event throws ValidationError (to the DLQ). */
export const handler = entry(
  middy()
    .use(injectLambdaContext(logger))
    .use(logMetrics(metrics))
    .use(countFailures('SignalsRejected'))
    .use(captureLambdaHandler(tracer))
    .use(parser({ schema: IngestSignalInput, safeParse: true }))
    .handler(async (event): Promise<IngestSignalResult> => {
      const stored = await ingestSignal(parsedOrThrow(event, 'Signal Scheduled event'), {
        repositories: repositories(),
      });
      metrics.addMetric('SignalsStored', MetricUnit.Count, 1);
      logger.info('signal stored', { ...stored });
      return stored;
    }),
);
