import { z } from 'zod';
import { EpochMs, WorkloadId } from './common';

/**
 * A scheduled external event that changes demand over a window: a deployment, a campaign, a
 * match, any tag. `expectedUplift` is multiplicative (0.3 = +30%); when absent, Shadowscale learns
 * the uplift from past signals with the same tag.
 */
export const Signal = z
  .strictObject({
    signalId: z.string().regex(/^[A-Za-z0-9_.:-]{1,128}$/, 'must be 1-128 chars of letters, digits, _ . : -'),
    tag: z.string().regex(/^[a-z0-9][a-z0-9_.-]{0,63}$/, 'must be a lower-case tag of 1-64 chars'),
    /** When absent, the signal applies to every workload that lists the tag. */
    workloadId: WorkloadId.optional(),
    startsAt: EpochMs,
    endsAt: EpochMs,
    expectedUplift: z.number().gt(-1).max(100).optional(),
    source: z.string().min(1).max(256).default('manual'),
    detail: z.record(z.string(), z.union([z.string(), z.number(), z.boolean()])).default({}),
  })
  .refine((s) => s.endsAt > s.startsAt, { message: 'endsAt must be after startsAt', path: ['endsAt'] })
  .refine((s) => s.endsAt - s.startsAt <= 31 * 86_400_000, {
    message: 'a signal window may last at most 31 days',
    path: ['endsAt'],
  });
export type Signal = z.infer<typeof Signal>;
