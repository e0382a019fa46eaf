import { z } from 'zod';
import { EpochMs, Percent, Region, WorkloadId } from './common';
import { TrafficWeights } from './operation';
import { Signal } from './signal';

/** EventBridge `source` for everything Shadowscale publishes. */
export const EVENT_SOURCE = 'shadowscale';

export const ForecastComputedDetail = z.strictObject({
  workloadId: WorkloadId,
  generatedAt: EpochMs,
  metrics: z
    .array(
      z.strictObject({
        metric: z.string().min(1),
        model: z.string().min(1),
        confidence: z.enum(['high', 'low']),
        horizonSteps: z.number().int().positive(),
        peakP50: z.number().finite(),
        peakAtQuantile: z.number().finite(),
      }),
    )
    .min(1),
  contentionScore: z.number().nonnegative(),
});

export const ContentionPredictedDetail = z.strictObject({
  workloadId: WorkloadId,
  score: z.number().nonnegative(),
  threshold: z.number().nonnegative(),
  /** Predicted time the primary first runs short, epoch ms. */
  shortageAt: EpochMs,
  /** Predicted peak demand in units at the planning quantile, and the primary's maximum. */
  peakUnits: z.number().nonnegative(),
  primaryMaxUnits: z.number().int().nonnegative(),
  recommendedShadowUnits: z.number().int().nonnegative(),
  predictedAt: EpochMs,
  /** 'low' when the forecast was made while the workload's recent demand was anomalous. */
  confidence: z.enum(['high', 'low']).optional(),
  /** Set when predicted during an anomaly: the workload's anomaly score and anomalous metrics. */
  anomaly: z
    .strictObject({ score: z.number().min(0).max(1), metrics: z.array(z.string().min(1)) })
    .optional(),
});

export const ContentionClearedDetail = z.strictObject({
  workloadId: WorkloadId,
  score: z.number().nonnegative(),
  clearThreshold: z.number().nonnegative(),
  clearedAt: EpochMs,
});

const OperationEventBase = {
  workloadId: WorkloadId,
  operationId: z.string().min(1),
  at: EpochMs,
};

export const MigrationStartedDetail = z.strictObject({
  ...OperationEventBase,
  kind: z.enum(['migration', 'return']),
  reason: z.string(),
});
export const MigrationSucceededDetail = z.strictObject({
  ...OperationEventBase,
  kind: z.enum(['migration', 'return']),
  weights: TrafficWeights,
  shadowUnits: z.number().int().nonnegative(),
});
export const MigrationRolledBackDetail = z.strictObject({
  ...OperationEventBase,
  kind: z.enum(['migration', 'return']),
  weights: TrafficWeights,
  error: z.strictObject({ name: z.string(), message: z.string() }),
});

const FailoverBase = {
  ...OperationEventBase,
  fromRegion: Region,
  toRegion: Region,
};
export const FailoverStartedDetail = z.strictObject({ ...FailoverBase, reason: z.string() });
export const FailoverSucceededDetail = z.strictObject({
  ...FailoverBase,
  regionWeights: z.record(Region, Percent),
});
export const FailoverRolledBackDetail = z.strictObject({
  ...FailoverBase,
  regionWeights: z.record(Region, Percent),
  error: z.strictObject({ name: z.string(), message: z.string() }),
});

export const AnomalyDetectedDetail = z.strictObject({
  workloadId: WorkloadId,
  metric: z.string().min(1),
  at: EpochMs,
  observed: z.number().finite(),
  expectedLow: z.number().finite(),
  expectedHigh: z.number().finite(),
  /** Anomaly score of the row that started it, in [0, 1]. */
  score: z.number().min(0).max(1).optional(),
});

export const AnomalyClearedDetail = z.strictObject({
  workloadId: WorkloadId,
  metric: z.string().min(1),
  /** When the metric was calm again. */
  at: EpochMs,
  /** When the anomaly started. */
  since: EpochMs,
  score: z.number().min(0).max(1),
});

/** A lifecycle rule's run ended: each action's outcome (a failed one with its error). */
export const LifecycleCompletedDetail = z.strictObject({
  workloadId: WorkloadId,
  rule: z.string().min(1),
  eventId: z.string().min(1),
  trigger: z.string().min(1),
  status: z.enum(['succeeded', 'failed']),
  at: EpochMs,
  actions: z.array(
    z.strictObject({
      type: z.string().min(1),
      status: z.enum(['succeeded', 'failed']),
      error: z.strictObject({ name: z.string(), message: z.string() }).optional(),
    }),
  ),
});

/** Inbound: another system announces a scheduled event (deploy, campaign, match...). */
export const SignalScheduledDetail = Signal;

/** Every detail type with its schema: publishers validate against this before PutEvents. */
export const EVENT_DETAIL_SCHEMAS = {
  'Forecast Computed': ForecastComputedDetail,
  'Contention Predicted': ContentionPredictedDetail,
  'Contention Cleared': ContentionClearedDetail,
  'Migration Started': MigrationStartedDetail,
  'Migration Succeeded': MigrationSucceededDetail,
  'Migration Rolled Back': MigrationRolledBackDetail,
  'Failover Started': FailoverStartedDetail,
  'Failover Succeeded': FailoverSucceededDetail,
  'Failover Rolled Back': FailoverRolledBackDetail,
  'Anomaly Detected': AnomalyDetectedDetail,
  'Anomaly Cleared': AnomalyClearedDetail,
  'Lifecycle Completed': LifecycleCompletedDetail,
  'Signal Scheduled': SignalScheduledDetail,
} as const;

export type DetailType = keyof typeof EVENT_DETAIL_SCHEMAS;
export const DETAIL_TYPES = Object.keys(EVENT_DETAIL_SCHEMAS) as DetailType[];
export type EventDetail<T extends DetailType> = z.infer<(typeof EVENT_DETAIL_SCHEMAS)[T]>;

/** A Shadowscale event before it is put on a bus. */
export type ShadowscaleEvent = {
  [T in DetailType]: { detailType: T; detail: EventDetail<T> };
}[DetailType];

/** The envelope EventBridge delivers (to rules, Lambdas, input transformers). */
export const eventEnvelope = <T extends DetailType>(detailType: T) =>
  z.object({
    version: z.string().optional(),
    id: z.string().optional(),
    source: z.string(),
    account: z.string().optional(),
    time: z.string().optional(),
    region: z.string().optional(),
    resources: z.array(z.string()).optional(),
    'detail-type': z.literal(detailType),
    detail: EVENT_DETAIL_SCHEMAS[detailType],
  });
