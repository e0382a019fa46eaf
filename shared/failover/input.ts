import { z } from 'zod';
import { WorkloadId } from '../schemas/common';
import { Steps } from '../schemas/workload';

/**
 * Execution input of `regional-failover` and `regional-failback` (console: `{"workloadId": "..."}`).
 * `trigger` says who started it: the regional detector (observed degradation), the forecast
 * (predicted shortfall), the home region's recovery (failback) or a person (manual, the default).
 */
export const RegionalInput = z.strictObject({
  workloadId: WorkloadId,
  operationId: z
    .string()
    .regex(/^[A-Za-z0-9_.:-]{1,128}$/, 'must be 1-128 chars of letters, digits, _ . : -')
    .optional(),
  reason: z.string().max(1_000).optional(),
  trigger: z
    .enum(['manual', 'observed-degradation', 'predicted-shortfall', 'home-recovered'])
    .default('manual'),
  /** Share of traffic on the destination after each step; default the workload's `failover.steps`. */
  steps: Steps.optional(),
  /** Standby size to raise to; default the forecast-sized standby. */
  standbyUnits: z.number().int().positive().max(10_000).optional(),
  /** Failback: skip the hold time and the calm check. */
  force: z.boolean().default(false),
});
export type RegionalInput = z.infer<typeof RegionalInput>;

export type RegionalKind = 'failover' | 'failback';

export const RegionalContext = z.strictObject({
  workloadId: WorkloadId,
  operationId: z.string().min(1),
  kind: z.enum(['failover', 'failback']),
  reason: z.string(),
  trigger: RegionalInput.shape.trigger,
  overrides: z.strictObject({
    steps: Steps.optional(),
    standbyUnits: z.number().int().positive().optional(),
    force: z.boolean(),
  }),
});
export type RegionalContext = z.infer<typeof RegionalContext>;

export const RegionalPlan = z.strictObject({
  kind: z.enum(['failover', 'failback']),
  direction: z.enum(['to-shadow', 'to-primary']),
  home: z.string(),
  standby: z.string(),
  steps: Steps,
  startIndex: z.number().int().nonnegative(),
  /**
   * Failover from a home region with no healthy host: traffic left there is lost whole, so once the
   * standby is up at its planned size the records move in one step (the gate still verifies it).
   */
  evacuate: z.boolean().default(false),
  /** Standby units the failover raises to before any DNS move (the forecast-sized standby). */
  standbyUnits: z.number().int().nonnegative(),
  peakUnits: z.number().nonnegative(),
  /** Wait after each DNS step: the record TTL (resolvers may answer the old weights until then) plus a bake. */
  stepWaitSeconds: z.number().int().nonnegative(),
  /** The records' TTL to restore when the run ends. */
  ttlSeconds: z.number().int().nonnegative().optional(),
  /** The TTL the run lowers the records to while it moves them; absent: not lowered (alias records). */
  fastTtlSeconds: z.number().int().nonnegative().optional(),
  bakeSeconds: z.number().int().nonnegative().optional(),
  pollSeconds: z.number().int().positive(),
  maxPolls: z.number().int().positive(),
  gateWindowSeconds: z.number().int().positive(),
  gateRetrySeconds: z.number().int().positive(),
  /** Failback: how long the home region must stay healthy and calm before the first step. */
  holdSeconds: z.number().int().nonnegative(),
  force: z.boolean(),
});
export type RegionalPlan = z.infer<typeof RegionalPlan>;
