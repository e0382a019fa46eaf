import { unitsFor } from '../planning/units';
/**
 * Elasticity metrics of the SPEC Research Group (Herbst et al., "Quantifying Cloud Performance and
 * Dependability", ACM TOMPECS 2018; Bauer et al., "Chameleon", IEEE TPDS 2019), computed from a
 * replay, plus overload, unit-hours, cost and the number of scaling actions.
 *
 * Notation, per step t = 1..n of length Δt (T = n·Δt):
 *   d_t       demand in units at target utilisation: value_t / (unit capacity × target utilisation)
 *   s_{p,t}   time-averaged ready units of pool p (primary, shadow) over the step
 *   w_{p,t}   time-averaged share of traffic routed to pool p (Σ_p w_{p,t} = 1)
 * Traffic is split, so supply only counts where the demand is sent:
 *   U_t = Σ_p max(d_t·w_{p,t} − s_{p,t}, 0)      (units short)
 *   O_t = Σ_p max(s_{p,t} − d_t·w_{p,t}, 0)      (units in excess)
 * With one pool these are the textbook max(d_t − s_t, 0) and max(s_t − d_t, 0).
 */

export interface RunSeries {
  intervalMs: number;
  unitCapacity: number;
  targetUtilization: number;
  /** Offered demand in the trace's unit. */
  demand: ArrayLike<number>;
  readyPrimary: ArrayLike<number>;
  readyShadow: ArrayLike<number>;
  /** Share (0..1) of traffic routed to the shadow pool. */
  shadowShare: ArrayLike<number>;
  billedPrimary: ArrayLike<number>;
  billedShadow: ArrayLike<number>;
  pricePrimary: number;
  priceShadow: number;
  /** Scaling actions (changes of a desired count) over the run. */
  actions: number;
  /** Evaluate steps [from, n) only (e.g. skip a warm-up). Default 0. */
  from?: number;
}

export interface ElasticityMetrics {
  /** θ_U = 100/T · Σ U_t / max(d_t, 1) · Δt — % of demand missing, averaged over time. */
  theta_u: number;
  /** θ_O = 100/T · Σ O_t / max(d_t, 1) · Δt — % of demand in excess, averaged over time. */
  theta_o: number;
  /** τ_U = 100/T · Σ 1[U_t > 0] · Δt — % of time under-provisioned. */
  tau_u: number;
  /** τ_O = 100/T · Σ 1[O_t > 0] · Δt — % of time over-provisioned. */
  tau_o: number;
  /**
   * Instability υ = 100/(T − Δt) · Σ_{t=2..n} min(|sgn Δs_t − sgn Δd_t|, 1) · Δt, with
   * s_t = Σ_p s_{p,t}: % of time supply and demand do not move in the same direction.
   */
  instability: number;
  /**
   * Minutes with overload: demand above 100% of ready capacity in a pool, i.e.
   * Σ 1[L_t > 0] · Δt / 60 s, where L_t = Σ_p max(value_t·w_{p,t} − s_{p,t}·unitCapacity, 0).
   */
  overload_minutes: number;
  /** Σ L_t / Σ value_t: share of the offered demand that found no capacity. */
  unserved_fraction: number;
  /** Σ_p Σ_t billed_{p,t} · Δt / 1 h (pending, ready and draining units are billed). */
  unit_hours: number;
  /** Σ_p unit-hours_p × price_p. */
  cost: number;
  actions: number;
}

/** Demand below one unit is normalised as one unit, so idle periods cannot blow θ up. */
const MIN_NORMALISER = 1;
/** Float noise from time-averaging must not count as a shortage or an excess. */
const EPS = 1e-9;

export function elasticityMetrics(run: RunSeries): ElasticityMetrics {
  const n = run.demand.length;
  const from = run.from ?? 0;
  const dt = run.intervalMs;
  const k = unitsFor(1, run.unitCapacity, run.targetUtilization);
  let thetaU = 0;
  let thetaO = 0;
  let underSteps = 0;
  let overSteps = 0;
  let unstable = 0;
  let overloadSteps = 0;
  let unserved = 0;
  let offered = 0;
  let billedP = 0;
  let billedS = 0;
  let prevD = Number.NaN;
  let prevS = Number.NaN;
  for (let t = from; t < n; t++) {
    const value = run.demand[t] as number;
    const d = value * k;
    const sp = run.readyPrimary[t] as number;
    const ss = run.readyShadow[t] as number;
    const ws = run.shadowShare[t] as number;
    const dp = d * (1 - ws);
    const ds = d * ws;
    const under = Math.max(dp - sp, 0) + Math.max(ds - ss, 0);
    const over = Math.max(sp - dp, 0) + Math.max(ss - ds, 0);
    const norm = Math.max(d, MIN_NORMALISER);
    thetaU += under / norm;
    thetaO += over / norm;
    if (under > EPS) underSteps++;
    if (over > EPS) overSteps++;
    const lost =
      Math.max(value * (1 - ws) - sp * run.unitCapacity, 0) + Math.max(value * ws - ss * run.unitCapacity, 0);
    if (lost > EPS * Math.max(1, value)) overloadSteps++;
    unserved += lost;
    offered += value;
    const s = sp + ss;
    if (t > from) {
      const ds1 = Math.sign(roundNoise(s - prevS));
      const dd1 = Math.sign(roundNoise(d - prevD));
      if (ds1 !== dd1) unstable++;
    }
    prevD = d;
    prevS = s;
    billedP += run.billedPrimary[t] as number;
    billedS += run.billedShadow[t] as number;
  }
  const steps = n - from;
  const pct = steps > 0 ? 100 / steps : 0;
  const hoursPerStep = dt / 3_600_000;
  const unitHoursP = billedP * hoursPerStep;
  const unitHoursS = billedS * hoursPerStep;
  return {
    theta_u: thetaU * pct,
    theta_o: thetaO * pct,
    tau_u: underSteps * pct,
    tau_o: overSteps * pct,
    instability: steps > 1 ? (unstable * 100) / (steps - 1) : 0,
    overload_minutes: (overloadSteps * dt) / 60_000,
    unserved_fraction: offered > 0 ? unserved / offered : 0,
    unit_hours: unitHoursP + unitHoursS,
    cost: unitHoursP * run.pricePrimary + unitHoursS * run.priceShadow,
    actions: run.actions,
  };
}

function roundNoise(x: number): number {
  return Math.abs(x) < 1e-9 ? 0 : x;
}
