import { z } from 'zod';
import { PairMoments } from './correlation';
import { MetricAccuracy } from './feedback';
import { MetricFingerprint } from './fingerprint';

/**
 * What the forecaster learns about one metric of a workload and keeps in the workload's profile
 * (the workloads table): its fingerprint, the running accuracy of its stored forecasts, the model
 * its last full fit chose, and where its cold start came from.
 */
export const MetricProfile = z.strictObject({
  fingerprint: MetricFingerprint.optional(),
  accuracy: MetricAccuracy.optional(),
  /** The model chosen at the last full fit: what a cold start of a similar series starts from. */
  model: z.string().min(1).max(200).optional(),
  /** The series started from this neighbour's model (too little history of its own). */
  coldStart: z
    .strictObject({
      workloadId: z.string().min(1),
      metric: z.string().min(1),
      distance: z.number().finite().nonnegative(),
      model: z.string().min(1),
      at: z.number().int().nonnegative(),
    })
    .optional(),
  /** The last refit the feedback loop asked for, and why. */
  feedbackRefit: z
    .strictObject({ at: z.number().int().nonnegative(), detail: z.string().max(200) })
    .optional(),
});
export type MetricProfile = z.infer<typeof MetricProfile>;

/** Running correlation per metric pair (`pairKey`). */
export const Correlations = z.record(z.string(), PairMoments);
