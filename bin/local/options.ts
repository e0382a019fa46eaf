import { z } from 'zod';
import { parseOrThrow } from '../../shared/validation';
import { DEFAULT_TRACE } from './demo';

/** `shadowscale local` options, validated once: every error names the flag and its value. */
export const LocalOptions = z.strictObject({
  trace: z.string().min(1).default(DEFAULT_TRACE),
  /** Simulated days replayed with Shadowscale in the loop. */
  days: z.number().gt(0).max(60).default(1),
  /** Simulated days replayed first (reactive scaling only) so the forecaster has history. */
  warmupDays: z.number().min(1).max(60).default(14),
  /** Simulated seconds per wall-clock second; `max` runs as fast as the machine allows. */
  speed: z.union([z.literal('max'), z.number().positive()]).default('max'),
  injectFailure: z.enum(['gate', 'provision']).optional(),
  /** Inject the demo incident (a 45-minute demand drop) into the first replayed day. */
  incident: z.boolean().default(true),
  report: z.string().min(1).default('reports/local-run.html'),
  /** Persist the local DynamoDB store in this directory between runs. */
  keepDb: z.string().min(1).optional(),
  /** Loopback port for the local DynamoDB; 0 picks a free one. */
  port: z.number().int().min(0).max(65_535).default(0),
  /** Primary pool maximum of the demo workload (the shortage the shadow pool answers). */
  primaryMax: z.number().int().min(1).max(1000).default(14),
  /** Print every forecast line (default: one per simulated hour). */
  verbose: z.boolean().default(false),
  quiet: z.boolean().default(false),
});
export type LocalOptions = z.infer<typeof LocalOptions>;
export type LocalOptionsInput = z.input<typeof LocalOptions>;

const FLAG_NAMES: Record<string, string> = {
  trace: '--trace',
  days: '--days',
  warmupDays: '--warmup-days',
  speed: '--speed',
  injectFailure: '--inject-failure',
  report: '--report',
  keepDb: '--keep-db',
  port: '--port',
  primaryMax: '--primary-max',
};

export function parseLocalOptions(input: LocalOptionsInput): LocalOptions {
  // Name the flag rather than the property in messages ("--days = -1: ...").
  const renamed = Object.fromEntries(Object.entries(input).filter(([, v]) => v !== undefined));
  try {
    return parseOrThrow(LocalOptions, renamed, 'local run options');
  } catch (error) {
    if (error instanceof Error) {
      for (const [key, flag] of Object.entries(FLAG_NAMES)) {
        error.message = error.message.replace(`\`${key}\``, `\`${flag}\``);
      }
    }
    throw error;
  }
}
