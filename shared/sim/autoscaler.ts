import type { SimFleet, SimWorkload } from './fleet';
import { ReactiveTracker, type TrackingView } from './target-tracking';

/**
 * The simulated service's own autoscaling, which Shadowscale works beside: ECS target tracking
 * (the backtester's reactive rules) on the primary's share of the traffic, never below the pool's
 * floor (what pre-warm sets through `ComputePool.setFloor`: in AWS the scalable target's minimum).
 */
/** Target tracking's longest alarm window (scale-in: 15 minutes), plus a margin. */
const WINDOW_MS = 20 * 60_000;

/** Units the pre-warm floor held above what target tracking alone asked for, from `atMs` on. */
export interface FloorLift {
  atMs: number;
  units: number;
}

export class ServiceAutoscaler {
  private readonly tracker = new ReactiveTracker();
  /** One entry per tick where the lift changed: what the cost summary attributes to pre-warm. */
  readonly floorLift: FloorLift[] = [];

  constructor(
    private readonly fleet: SimFleet,
    private readonly sim: SimWorkload,
    private readonly limits: { minUnits: number; maxUnits: number },
  ) {}

  tick(nowMs: number): void {
    const h = this.sim.history;
    const perUnit = this.sim.unitCapacity * this.sim.targetUtilization;
    const visible = this.fleet.visibleSteps(this.sim.id, nowMs);
    // Enough published steps for target tracking's longest alarm (15 min below target to scale in),
    // whatever the step: 1-minute metrics need 15 datapoints, 5-minute ones 3.
    const window = Math.max(12, Math.ceil(WINDOW_MS / this.fleet.stepMs) + 1);
    const from = Math.max(0, visible - window);
    const demand = new Float64Array(visible - from);
    const capacity = new Float64Array(visible - from);
    for (let i = from; i < visible; i++) {
      demand[i - from] = (h.requestsPrimary[i] as number) / perUnit;
      capacity[i - from] = h.readyPrimary[i] as number;
    }
    const primary = this.sim.primary.status();
    const minimum = Math.min(this.limits.maxUnits, Math.max(this.limits.minUnits, this.sim.primary.floor));
    const view: TrackingView = {
      nowMs,
      intervalMs: this.fleet.stepMs,
      visible: visible - from,
      demand,
      capacity,
      limits: { primaryMin: minimum, primaryMax: this.limits.maxUnits },
    };
    const tracking = this.tracker.desired(view, primary.desired);
    const wanted = Math.max(minimum, tracking);
    const lift = wanted - Math.min(this.limits.maxUnits, Math.max(this.limits.minUnits, tracking));
    if (this.floorLift[this.floorLift.length - 1]?.units !== lift)
      this.floorLift.push({ atMs: nowMs, units: lift });
    if (wanted !== primary.desired) this.fleet.setDesired(this.sim.id, 'primary', wanted);
  }
}
