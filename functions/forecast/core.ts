import { z } from 'zod';
import {
  type ForecasterOptions,
  type ForecasterPorts,
  type ForecastRunResult,
  runForecaster,
  type WorkloadOutcome,
} from '../../shared/forecaster';
import { DEFAULT_CADENCE } from '../../shared/planning/cadence';
import { describeSettings } from '../../shared/planning/learner';
import { WorkloadId } from '../../shared/schemas/common';
import { parseOrThrow } from '../../shared/validation';

/** `SHADOWSCALE_FORECAST_CADENCE`: `adaptive` (what the stack deploys) or `every-step` (default). */
export const CADENCE_ENV = 'SHADOWSCALE_FORECAST_CADENCE';
const CadenceSetting = z.enum(['adaptive', 'every-step']);

/** The forecaster's cadence option from the environment (shared/planning/cadence.ts). */
export function cadenceFromEnv(env: NodeJS.ProcessEnv = process.env): Partial<ForecasterOptions> {
  const raw = env[CADENCE_ENV];
  if (raw === undefined || raw === '') return {};
  return parseOrThrow(CadenceSetting, raw, CADENCE_ENV) === 'adaptive' ? { cadence: DEFAULT_CADENCE } : {};
}

/** What a direct invocation (fan-out batch, CLI, console) passes. */
export const ForecastRequestInput = z
  .strictObject({
    workloadIds: z.array(WorkloadId).min(1).max(5_000).optional(),
    page: z
      .strictObject({ cursor: z.string().min(1).optional(), limit: z.number().int().min(1).max(1_000) })
      .optional(),
    fullRefit: z.boolean().default(false),
  })
  .refine((r) => !(r.workloadIds && r.page), {
    message: 'give workloadIds or page, not both',
    path: ['page'],
  });

/** An EventBridge schedule (rule target with the default input): forecast every workload. */
export const ScheduledEventInput = z.looseObject({
  source: z.string(),
  'detail-type': z.string(),
  detail: z.unknown(),
});

/**
 * What the forecast function accepts: a request or a schedule event (`null` or no payload is an
 * empty request). A request is strict, so a typo in a field name is reported instead of silently
 * forecasting every workload; a failed parse names the field of the closer of the two shapes.
 */
export const ForecastInput = z.preprocess(
  (input) => input ?? {},
  z.union([ForecastRequestInput, ScheduledEventInput]),
);
export type ForecastInput = z.input<typeof ForecastInput>;
export type ForecastEvent = z.output<typeof ForecastInput>;

/** Outcomes listed in a handler result; the counts always cover every workload. */
export const MAX_LISTED_OUTCOMES = 200;

export interface ForecastSummary extends Omit<ForecastRunResult, 'outcomes'> {
  /** Failed and changed workloads first, then the others, at most MAX_LISTED_OUTCOMES. */
  outcomes: CompactOutcome[];
  truncated: boolean;
}

export interface CompactOutcome {
  workloadId: string;
  status: WorkloadOutcome['status'];
  score?: number;
  contended?: boolean;
  transition?: 'predicted' | 'cleared' | 'escalated';
  /** Metrics whose planning settings the learner changed in this run, and why. */
  planningChanges?: { metric: string; to: string; reason: string }[];
  error?: string;
}

/**
 * The forecaster core the Lambda handler, the fan-out, `shadowscale forecaster run` and the local
 * run all call: validate the input, run the forecaster service over the ports, return the full
 * per-workload result. Throws ValidationError on bad input, TransientError when the metrics
 * source failed for every workload; a single bad workload is only reported.
 */
export async function runForecast(
  input: unknown,
  ports: ForecasterPorts,
  options: Partial<ForecasterOptions> = {},
): Promise<ForecastRunResult> {
  return forecast(parseOrThrow(ForecastInput, input, 'forecast input'), ports, options);
}

/** `runForecast` for an input already parsed (the handler's parser middleware). */
export async function forecast(
  event: ForecastEvent,
  ports: ForecasterPorts,
  options: Partial<ForecasterOptions> = {},
): Promise<ForecastRunResult> {
  // A schedule event forecasts everything.
  if ('detail-type' in event) return runForecaster({}, ports, options);
  return runForecaster(
    {
      fullRefit: event.fullRefit,
      ...(event.workloadIds ? { workloadIds: event.workloadIds } : {}),
      ...(event.page ? { page: event.page } : {}),
    },
    ports,
    options,
  );
}

/** A result small enough for a Step Functions payload (256 KiB) whatever the batch size. */
export function summarize(result: ForecastRunResult, max = MAX_LISTED_OUTCOMES): ForecastSummary {
  const rank = (o: WorkloadOutcome) =>
    o.status === 'failed' ? 0 : o.transition || changesOf(o).length > 0 ? 1 : o.status === 'degraded' ? 2 : 3;
  const ordered = [...result.outcomes].sort((a, b) => rank(a) - rank(b));
  const { outcomes: _all, ...counts } = result;
  return {
    ...counts,
    outcomes: ordered.slice(0, max).map((o) => ({
      workloadId: o.workloadId,
      status: o.status,
      ...(o.score !== undefined ? { score: round(o.score) } : {}),
      ...(o.contended !== undefined ? { contended: o.contended } : {}),
      ...(o.transition ? { transition: o.transition } : {}),
      ...(changesOf(o).length > 0 ? { planningChanges: changesOf(o) } : {}),
      ...(o.error ? { error: `${o.error.name}: ${o.error.message}` } : {}),
    })),
    truncated: ordered.length > max,
  };
}

const round = (x: number) => Math.round(x * 1e6) / 1e6;

function changesOf(o: WorkloadOutcome): { metric: string; to: string; reason: string }[] {
  return o.metrics.flatMap((m) =>
    m.planningChange
      ? [{ metric: m.metric, to: describeSettings(m.planningChange.to), reason: m.planningChange.reason }]
      : [],
  );
}
