import type { PoolStatus } from '../ports/compute';
import type { TrafficWeights } from '../schemas/operation';

/**
 * `shadowscale` is the deployed loop with the workload's default policy (planning settings
 * learned per metric); `shadowscale-fixed` the same loop planning at the fixed settings.
 */
export const POLICY_NAMES = [
  'reactive',
  'hourly-predictive',
  'shadowscale-fixed',
  'shadowscale',
  'oracle',
] as const;
export type PolicyName = (typeof POLICY_NAMES)[number];

/** The policies the deployed loop runs (the others decide step by step in the replay). */
export const LOOP_POLICIES = ['shadowscale', 'shadowscale-fixed'] as const satisfies readonly PolicyName[];
export type LoopPolicyName = (typeof LOOP_POLICIES)[number];
export const isLoopPolicy = (name: PolicyName): name is LoopPolicyName =>
  (LOOP_POLICIES as readonly string[]).includes(name);

/**
 * What a policy may see when it decides at `nowMs` (the start of step `step`): only the metric
 * samples already published (step end + metric delay <= now), and the pools as they are now.
 * `demand` and `capacity` are exactly `visible` long: reading past them yields undefined.
 */
export interface PolicyView {
  nowMs: number;
  /** Index of the step about to run. */
  step: number;
  intervalMs: number;
  lagMs: number;
  metricDelayMs: number;
  /** Number of published steps. */
  visible: number;
  /** Published demand in units at target utilisation, steps [0, visible). */
  demand: Float64Array;
  /** Time-averaged ready units (primary + shadow) over the same steps. */
  capacity: Float64Array;
  primary: PoolStatus;
  shadow: PoolStatus;
  weights: TrafficWeights;
  limits: { primaryMin: number; primaryMax: number; shadowMax: number };
}

/** A policy's wish for now. Omitted parts stay as they are. */
export interface Decision {
  primary: number;
  shadow?: number;
  weights?: TrafficWeights;
}

/** Forecast band a policy exposes for the report (units, for the step being decided). */
export interface BandSample {
  low: number;
  mid: number;
  high: number;
}

export interface Policy {
  readonly name: PolicyName;
  decide(view: PolicyView): Decision;
  /** The policy's forecast for the step just decided, if it forecasts. */
  band?(): BandSample | undefined;
}

export function clampUnits(n: number, min: number, max: number): number {
  return Math.min(max, Math.max(min, n));
}
