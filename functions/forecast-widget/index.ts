import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import { parser } from '@aws-lambda-powertools/parser/middleware';
import { captureLambdaHandler } from '@aws-lambda-powertools/tracer/middleware';
import middy from '@middy/core';
import { clock } from '../runtime/index';
import { metrics as cloudWatchMetrics } from '../runtime/metrics';
import { countFailures, entry, logger, metrics, parsedOrThrow, tracer } from '../runtime/powertools';
import { repositories } from '../runtime/repositories';
import { ForecastWidgetEvent, forecastWidget } from './core';

export { runForecastWidget } from './core';

/**
 * The dashboard's forecast widget: CloudWatch calls it with the viewer's time range and shows the
 * HTML it returns (one workload's forecasts, actuals, decision and accuracy). Its own ARN goes
 * into the widget's picker form, so choosing another workload calls it again.
 */
export const handler = entry(
  middy()
    .use(injectLambdaContext(logger))
    .use(logMetrics(metrics))
    .use(countFailures('ForecastWidgetFailed'))
    .use(captureLambdaHandler(tracer))
    .use(parser({ schema: ForecastWidgetEvent, safeParse: true }))
    .handler(
      async (event, context): Promise<string> =>
        forecastWidget(
          parsedOrThrow(event, 'forecast widget event'),
          { repositories: repositories(), metrics: cloudWatchMetrics(), clock: clock() },
          context.invokedFunctionArn,
        ),
    ),
);
