import { desiredCapacity, trafficWeights } from '../../planning/capacity';
import { lagSteps } from '../../planning/units';
import { clampUnits, type Decision, type Policy, type PolicyView } from '../policy';

/**
 * `oracle`: knows the whole future demand (in units at target utilisation) and schedules each unit
 * one provisioning lag ahead, so a unit launched now is ready for the step that needs it and no
 * unit is kept once no step within the lag needs it. Beyond the primary's maximum it fills the
 * shadow pool and splits traffic by the exact demand of the step. This is the limit no real policy
 * can reach; it is the only policy given `future`.
 */
export class OraclePolicy implements Policy {
  readonly name = 'oracle' as const;
  constructor(private readonly future: Float64Array) {}

  decide(view: PolicyView): Decision {
    const ls = lagSteps(view.lagMs, view.intervalMs);
    const { primaryMin, primaryMax, shadowMax } = view.limits;
    const need = desiredCapacity(this.future, view.step, view.step + ls, { minUnits: primaryMin });
    const primary = clampUnits(need, primaryMin, primaryMax);
    const shadow = Math.min(shadowMax, Math.max(0, need - primaryMax));
    const now = this.future[view.step] ?? 0;
    const weights = trafficWeights(
      Math.min(view.primary.ready, primary),
      Math.min(view.shadow.ready, shadow),
      now,
    );
    return { primary, shadow, weights };
  }
}
