import { z } from 'zod';

/**
 * When a series counts as anomalous: it enters at a high score and leaves only after several
 * calm rows below a lower one, so a score hovering at the threshold does not flap events.
 */
export const AnomalyHysteresis = z
  .strictObject({
    /** Score at or above which an anomaly starts (1 − p: 0.999 is p ≤ 0.001). */
    detectAt: z.number().gt(0).max(1).default(0.999),
    /** Score below which a row counts as calm. */
    clearBelow: z.number().min(0).lt(1).default(0.99),
    /** Consecutive calm rows that end an anomaly. */
    clearAfterRows: z.number().int().min(1).max(10_000).default(6),
  })
  .refine((h) => h.clearBelow < h.detectAt, {
    message: 'clearBelow must be below detectAt',
    path: ['clearBelow'],
  });
export type AnomalyHysteresis = z.infer<typeof AnomalyHysteresis>;
export const DEFAULT_ANOMALY_HYSTERESIS: AnomalyHysteresis = AnomalyHysteresis.parse({});

export const AnomalyStatus = z.strictObject({
  active: z.boolean(),
  /** When the current (or last) anomaly started, epoch ms. */
  since: z.number().int().nullable(),
  /** Highest score of the current anomaly. */
  peak: z.number().min(0).max(1),
  calmRows: z.number().int().nonnegative(),
});
export type AnomalyStatus = z.infer<typeof AnomalyStatus>;

export const CALM: AnomalyStatus = { active: false, since: null, peak: 0, calmRows: 0 };

export type AnomalyTransition = 'detected' | 'cleared' | null;

/**
 * One row through the hysteresis. A row without data (null score) changes nothing: missing data
 * neither starts nor ends an anomaly.
 */
export function nextAnomalyStatus(
  status: AnomalyStatus,
  score: number | null,
  at: number,
  h: AnomalyHysteresis = DEFAULT_ANOMALY_HYSTERESIS,
): { status: AnomalyStatus; transition: AnomalyTransition } {
  if (score === null) return { status, transition: null };
  if (!status.active) {
    if (score >= h.detectAt)
      return { status: { active: true, since: at, peak: score, calmRows: 0 }, transition: 'detected' };
    return { status, transition: null };
  }
  const peak = Math.max(status.peak, score);
  if (score >= h.clearBelow) return { status: { ...status, peak, calmRows: 0 }, transition: null };
  const calmRows = status.calmRows + 1;
  if (calmRows >= h.clearAfterRows)
    return { status: { active: false, since: status.since, peak, calmRows: 0 }, transition: 'cleared' };
  return { status: { ...status, peak, calmRows }, transition: null };
}
