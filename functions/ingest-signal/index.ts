import { Logger } from '@aws-lambda-powertools/logger';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import { Tracer } from '@aws-lambda-powertools/tracer';
import { captureLambdaHandler } from '@aws-lambda-powertools/tracer/middleware';
import middy from '@middy/core';
import { repositories } from '../runtime/repositories';
import { type IngestSignalResult, runIngestSignal } from './core';

export { runIngestSignal } from './core';

const logger = new Logger({ serviceName: 'ingest-signal' });
const metrics = new Metrics({ serviceName: 'ingest-signal' });
const tracer = new Tracer({ serviceName: 'ingest-signal' });

const lambdaHandler = async (event: unknown): Promise<IngestSignalResult> => {
  const stored = await runIngestSignal(event, { repositories: repositories() });
  metrics.addMetric('SignalsStored', MetricUnit.Count, 1);
  logger.info('signal stored', { ...stored });
  return stored;
};

/** Target of the `Signal Scheduled` rule; a bad event throws ValidationError (to the DLQ). */
export const handler = middy(lambdaHandler)
  .use(captureLambdaHandler(tracer))
  .use(injectLambdaContext(logger))
  .use(logMetrics(metrics));
