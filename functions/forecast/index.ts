import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import { parser } from '@aws-lambda-powertools/parser/middleware';
import { captureLambdaHandler } from '@aws-lambda-powertools/tracer/middleware';
import middy from '@middy/core';
import type { ForecasterPorts } from '../../shared/forecaster';
import { events } from '../runtime/events';
import { clock } from '../runtime/index';
import { metrics as metricsSource } from '../runtime/metrics';
import { countFailures, entry, logger, metrics, parsedOrThrow, tracer } from '../runtime/powertools';
import { repositories } from '../runtime/repositories';
import { cadenceFromEnv, ForecastInput, type ForecastSummary, forecast, summarize } from './core';
import { recordRun } from './emf';

export { type ForecastInput, runForecast, summarize } from './core';
export { recordRun } from './emf';

/** The ports from functions/runtime: AWS adapters, or whatever `setRuntime` installed. */
export function forecastPorts(): ForecasterPorts {
  return { clock: clock(), repositories: repositories(), metrics: metricsSource(), events: events() };
}

/** Scheduled (EventBridge) or fan-out (Step Functions) forecaster; throws named errors. */
export const handler = entry(
  middy()
    .use(injectLambdaContext(logger))
    .use(logMetrics(metrics))
    .use(countFailures('ForecastRunFailed'))
    .use(captureLambdaHandler(tracer))
    .use(parser({ schema: ForecastInput, safeParse: true }))
    .handler(async (event): Promise<ForecastSummary> => {
      const input = parsedOrThrow(event, 'forecast input');
      const started = performance.now();
      const result = await forecast(input, forecastPorts(), cadenceFromEnv());
      recordRun(result, metrics, logger, { durationMs: Math.round(performance.now() - started) });
      return summarize(result);
    }),
);
