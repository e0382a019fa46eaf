import { ReactiveTracker } from '../backtest/policies/reactive';
import type { PolicyView } from '../backtest/policy';
import type { SimFleet, SimWorkload } from './fleet';

/**
 * The simulated service's own autoscaling, which Shadowscale works beside: ECS target tracking
 * (the backtester's reactive rules) on the primary's share of the traffic, never below the pool's
 * floor (what pre-warm sets through `ComputePool.setFloor`: in AWS the scalable target's minimum).
 */
export class ServiceAutoscaler {
  private readonly tracker = new ReactiveTracker();

  constructor(
    private readonly fleet: SimFleet,
    private readonly sim: SimWorkload,
    private readonly limits: { minUnits: number; maxUnits: number; shadowMaxUnits: number },
  ) {}

  tick(nowMs: number): void {
    const h = this.sim.history;
    const perUnit = this.sim.unitCapacity * this.sim.targetUtilization;
    const visible = this.fleet.visibleSteps(this.sim.id, nowMs);
    const from = Math.max(0, visible - 12);
    const demand = new Float64Array(visible - from);
    const capacity = new Float64Array(visible - from);
    for (let i = from; i < visible; i++) {
      demand[i - from] = (h.requestsPrimary[i] as number) / perUnit;
      capacity[i - from] = h.readyPrimary[i] as number;
    }
    const primary = this.sim.primary.status();
    const minimum = Math.min(this.limits.maxUnits, Math.max(this.limits.minUnits, this.sim.primary.floor));
    const view: PolicyView = {
      nowMs,
      step: visible,
      intervalMs: this.fleet.stepMs,
      lagMs: this.sim.lagMs,
      metricDelayMs: this.sim.metricDelayMs,
      visible: visible - from,
      demand,
      capacity,
      primary,
      shadow: this.sim.shadow.status(),
      weights: this.sim.weights,
      limits: {
        primaryMin: minimum,
        primaryMax: this.limits.maxUnits,
        shadowMax: this.limits.shadowMaxUnits,
      },
    };
    const wanted = Math.max(minimum, this.tracker.desired(view, primary.desired));
    if (wanted !== primary.desired) this.fleet.setDesired(this.sim.id, 'primary', wanted);
  }
}
