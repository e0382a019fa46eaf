import { z } from 'zod';
import { WorkloadId } from '../schemas/common';
import { Steps } from '../schemas/workload';

const OperationIdPattern = /^[A-Za-z0-9_.:-]{1,128}$/;

/**
 * Execution input of both state machines. A console run is `{"workloadId": "checkout-api"}`;
 * the EventBridge rule adds `operationId` (from the event id), `peakUnits` and `plannedShadowUnits`; the CLI may add
 * `steps`/`preset`. Unknown fields are an error (a typo must not be silently ignored).
 */
export const MigrationInput = z.strictObject({
  workloadId: WorkloadId,
  /** Names the operation; a rerun with the same id resumes it. Default: the execution name. */
  operationId: z
    .string()
    .regex(OperationIdPattern, 'must be 1-128 chars of letters, digits, _ . : -')
    .optional(),
  steps: Steps.optional(),
  preset: z.enum(['default', 'linear']).optional(),
  stepCount: z.number().int().min(1).max(20).optional(),
  bakeSeconds: z.number().int().nonnegative().max(3_600).optional(),
  reason: z.string().max(1_000).optional(),
  shadowUnits: z.number().int().nonnegative().optional(),
  peakUnits: z.number().nonnegative().optional(),
  /** The shadow pool size the planner announced with `Contention Predicted`. */
  plannedShadowUnits: z.number().int().nonnegative().optional(),
  allowStateful: z.boolean().optional(),
  force: z.boolean().optional(),
  /** Who started it (`event`, `console`, `cli`); informational. */
  trigger: z.string().max(64).optional(),
});
export type MigrationInput = z.infer<typeof MigrationInput>;

/** What the validate task hands to the rest of the state machine. */
export const RunContext = z.strictObject({
  workloadId: WorkloadId,
  operationId: z.string().regex(OperationIdPattern),
  kind: z.enum(['migration', 'return']),
  reason: z.string(),
  overrides: z.strictObject({
    steps: z.array(z.number().int()).optional(),
    preset: z.enum(['default', 'linear']).optional(),
    stepCount: z.number().int().optional(),
    bakeSeconds: z.number().int().optional(),
    shadowUnits: z.number().int().optional(),
    peakUnits: z.number().optional(),
    plannedShadowUnits: z.number().int().optional(),
    allowStateful: z.boolean().optional(),
    force: z.boolean().optional(),
  }),
});
export type RunContext = z.infer<typeof RunContext>;

/** Execution names may hold characters operation ids do not; keep the id stable and valid. */
export function operationIdFromExecutionName(name: string): string {
  const cleaned = name.replace(/[^A-Za-z0-9_.:-]/g, '-').slice(0, 128);
  return cleaned === '' ? 'operation' : cleaned;
}
