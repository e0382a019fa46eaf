import { z } from 'zod';
import { ValidationError } from '../../shared/errors';
import type { MetricsSource } from '../../shared/ports/metrics';
import type { PredictionRepository, WorkloadRepository } from '../../shared/ports/repositories';
import {
  type ActualSeries,
  type MetricWidgetData,
  renderForecastWidget,
  renderWidgetMessage,
} from '../../shared/report/forecast-widget';
import { EpochMs, WorkloadId } from '../../shared/schemas/common';
import { parseOrThrow } from '../../shared/validation';

/**
 * The dashboard's forecast widget (a CloudWatch custom widget): CloudWatch invokes the function
 * with the widget's parameters (`workloadId`, optionally `metric`) at the top level and a
 * `widgetContext` (time range, width, the picker form's values), and shows the HTML it returns.
 * Only the fields read here are checked; CloudWatch adds others.
 */
const Range = z.looseObject({ start: EpochMs, end: EpochMs });
export const WidgetContext = z.looseObject({
  timeRange: Range.extend({ zoom: Range.optional() }),
  width: z.number().positive().optional(),
  forms: z.looseObject({ all: z.record(z.string(), z.string()).optional() }).optional(),
});
export const ForecastWidgetEvent = z.looseObject({
  /** CloudWatch's "describe" call: return the widget's documentation. */
  describe: z.boolean().optional(),
  workloadId: z.string().optional(),
  metric: z.string().min(1).optional(),
  widgetContext: WidgetContext.optional(),
});
export type ForecastWidgetEvent = z.output<typeof ForecastWidgetEvent>;

export interface ForecastWidgetPorts {
  repositories: {
    workloads: Pick<WorkloadRepository, 'get'>;
    predictions: Pick<PredictionRepository, 'getLatest' | 'history' | 'getDecision'>;
  };
  metrics: MetricsSource;
  clock: { now(): number };
}

/** Forecast items live 8 days (their TTL); a longer range is cut to its newest 8 days. */
export const MAX_RANGE_MS = 8 * 86_400_000;
/** Default range when the call carries no widgetContext (a direct invocation). */
const DEFAULT_RANGE_MS = 6 * 3_600_000;
const DEFAULT_WIDTH = 900;

export const DOCS = `## Shadowscale forecast

Shows one workload's forecasts beside what CloudWatch recorded: per metric the actual series, the
forecast made one step before each point (from the newest 288 stored forecasts, the history the
table keeps), the newest forecast with its interval and the planning
path pre-warm sizes against, and the most the primary serves at its largest size; above them the
contention decision and anomaly score of the last forecaster run, and below the running forecast
accuracy per horizon.

Parameters: \`workloadId\` (the workload shown first; the form in the widget picks another),
\`metric\` (one metric only; default all).`;

export async function runForecastWidget(
  input: unknown,
  ports: ForecastWidgetPorts,
  selfArn?: string,
): Promise<string> {
  return forecastWidget(parseOrThrow(ForecastWidgetEvent, input, 'forecast widget event'), ports, selfArn);
}

/** The widget's HTML (or its documentation for a describe call). */
export async function forecastWidget(
  event: ForecastWidgetEvent,
  ports: ForecastWidgetPorts,
  selfArn?: string,
): Promise<string> {
  if (event.describe) return DOCS;
  const nowMs = ports.clock.now();
  const context = event.widgetContext;
  const picked = context?.forms?.all?.workloadId?.trim();
  const raw = picked ? picked : event.workloadId;
  if (raw === undefined || raw === '')
    return renderWidgetMessage('Type a workload id and choose Show.', selfArn);
  const id = WorkloadId.safeParse(raw);
  if (!id.success)
    return renderWidgetMessage(
      `workloadId ${JSON.stringify(raw)}: ${id.error.issues.map((i) => i.message).join('; ')}`,
      selfArn,
      raw,
    );
  const workloadId = id.data;
  const record = await ports.repositories.workloads.get(workloadId);
  if (!record) return renderWidgetMessage(`workload "${workloadId}" is not registered`, selfArn, workloadId);

  const metrics = record.workload.metrics.filter(
    (m) => event.metric === undefined || m.name === event.metric,
  );
  if (metrics.length === 0)
    return renderWidgetMessage(
      `metric ${JSON.stringify(event.metric)}: workload "${workloadId}" has ${record.workload.metrics.map((m) => m.name).join(', ')}`,
      selfArn,
      workloadId,
    );

  const range = context ? (context.timeRange.zoom ?? context.timeRange) : undefined;
  const toMs = range?.end ?? nowMs;
  const fromMs = Math.max(range?.start ?? toMs - DEFAULT_RANGE_MS, toMs - MAX_RANGE_MS);
  if (!(fromMs < toMs))
    throw new ValidationError(`widgetContext.timeRange: start ${fromMs} must be before end ${toMs}`, [
      { path: 'widgetContext.timeRange', message: 'start must be before end', received: range },
    ]);

  const predictions = ports.repositories.predictions;
  const [decision, history, actuals] = await Promise.all([
    predictions.getDecision(workloadId),
    Promise.all(metrics.map((m) => predictions.history(workloadId, m.name, { sinceMs: fromMs }))),
    readActuals(ports.metrics, metrics, fromMs, toMs),
  ]);
  // A history is newest first with no upper bound, so its head is the newest forecast: only a
  // metric with none in the range reads the newest older one.
  const latest = await Promise.all(
    metrics.map((m, i) => history[i]?.[0] ?? predictions.getLatest(workloadId, m.name)),
  );
  const perMetric: MetricWidgetData[] = metrics.map((metric, i) => ({
    metric,
    actual: actuals[i] ?? { kind: 'no-data' },
    latest: latest[i],
    history: (history[i] ?? []).filter((p) => p.generatedAt <= toMs),
  }));
  return renderForecastWidget(
    {
      workload: record.workload,
      profile: record.profile,
      decision,
      metrics: perMetric,
      fromMs,
      toMs,
      nowMs,
      width: Math.round(Math.max(320, Math.min(2_400, (context?.width ?? DEFAULT_WIDTH) - 24))),
    },
    selfArn,
  );
}

/**
 * What CloudWatch recorded, one GetMetricData for every metric (billed per metric). A failed read
 * is shown in the widget, not thrown: the stored forecasts are still worth seeing.
 */
async function readActuals(
  source: MetricsSource,
  metrics: readonly MetricWidgetData['metric'][],
  fromMs: number,
  toMs: number,
): Promise<ActualSeries[]> {
  try {
    const results = await source.fetch(
      metrics.map((metric, i) => ({ id: `m${i}`, metric, startMs: fromMs, endMs: toMs })),
    );
    return results.map((r) => (r.kind === 'data' ? { kind: 'data', points: r.points } : { kind: 'no-data' }));
  } catch (error) {
    const message = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
    return metrics.map(() => ({ kind: 'error', message }));
  }
}
