import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { MetricUnit } from '@aws-lambda-powertools/metrics';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import { parser } from '@aws-lambda-powertools/parser/middleware';
import { captureLambdaHandler } from '@aws-lambda-powertools/tracer/middleware';
import middy from '@middy/core';
import { PipelineEvent } from '../../shared/pipeline/events';
import type { RecordOutcome } from '../../shared/pipeline/history';
import { clock } from '../runtime';
import { countFailures, entry, logger, metrics, parsedOrThrow, tracer } from '../runtime/powertools';
import { stageHistoryStore } from '../runtime/stage-history';
import { ingestStageEvent } from './core';

/**
 * Target of the CodePipeline / CodeBuild state-change rules: one event into its run's record.
 * A malformed event throws ValidationError naming the field (after Lambda's retries, to the DLQ)
 * and stores nothing; a redelivered one is a no-op.
 */
export const handler = entry(
  middy()
    .use(injectLambdaContext(logger))
    .use(logMetrics(metrics))
    .use(countFailures('StageEventsRejected'))
    .use(captureLambdaHandler(tracer))
    .use(parser({ schema: PipelineEvent, safeParse: true }))
    .handler(async (event): Promise<RecordOutcome> => {
      const result = await ingestStageEvent(parsedOrThrow(event, 'pipeline event'), {
        store: stageHistoryStore(),
        clock: clock(),
      });
      metrics.addMetric(
        result.outcome === 'stored' ? 'StageEventsStored' : 'StageEventsDuplicate',
        MetricUnit.Count,
        1,
      );
      if (result.outcome === 'stored')
        logger.info('stage run updated', {
          pk: result.record.pk,
          sk: result.record.sk,
          state: result.record.state,
          ...(result.record.durationSeconds !== undefined
            ? { durationSeconds: result.record.durationSeconds }
            : {}),
        });
      else logger.info('duplicate event ignored', { ...result });
      return result;
    }),
);
