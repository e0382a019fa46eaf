import { z } from 'zod';
import { EpochMs, Percent, WorkloadId } from './common';

/** Weights between the primary and shadow target groups: integers that sum to 100. */
export const TrafficWeights = z
  .strictObject({ primary: Percent, shadow: Percent })
  .refine((w) => w.primary + w.shadow === 100, { message: 'primary + shadow must be 100', path: ['shadow'] });
export type TrafficWeights = z.infer<typeof TrafficWeights>;

export const OperationKind = z.enum(['migration', 'return', 'failover', 'failback', 'deployment']);
export type OperationKind = z.infer<typeof OperationKind>;

export const OperationStatus = z.enum(['running', 'succeeded', 'rolled-back', 'failed']);
export type OperationStatus = z.infer<typeof OperationStatus>;

/** One thing an operation did, in order: what, when, and the verified weights after it. */
export const OperationStep = z.strictObject({
  at: EpochMs,
  name: z.string().min(1),
  detail: z.record(z.string(), z.unknown()).default({}),
  weights: TrafficWeights.optional(),
});
export type OperationStep = z.infer<typeof OperationStep>;

export const Operation = z.strictObject({
  operationId: z
    .string()
    .regex(/^[A-Za-z0-9_.:-]{1,128}$/, 'must be 1-128 chars of letters, digits, _ . : -'),
  workloadId: WorkloadId,
  kind: OperationKind,
  status: OperationStatus,
  reason: z.string().max(1_000).default(''),
  startedAt: EpochMs,
  updatedAt: EpochMs,
  /** Weights when the operation started: what compensation restores unless a later step verified others. */
  initialWeights: TrafficWeights.optional(),
  /** The last weights written *and read back*: the state compensation may rely on. */
  lastVerifiedWeights: TrafficWeights.optional(),
  plan: z.record(z.string(), z.unknown()).optional(),
  steps: z.array(OperationStep).default([]),
  error: z.strictObject({ name: z.string(), message: z.string() }).optional(),
  /** Optimistic concurrency for single-item conditional updates. */
  version: z.number().int().positive().default(1),
});
export type Operation = z.infer<typeof Operation>;

/** One operation at a time per workload: held until `expiresAt`, renewable by its holder. */
export const Lease = z.strictObject({
  workloadId: WorkloadId,
  holder: z.string().min(1),
  acquiredAt: EpochMs,
  expiresAt: EpochMs,
});
export type Lease = z.infer<typeof Lease>;
