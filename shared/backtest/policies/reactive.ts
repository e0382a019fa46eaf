import { ReactiveTracker, type TargetTrackingOptions } from '../../sim/target-tracking';
import type { Decision, Policy, PolicyView } from '../policy';

export { ReactiveTracker };
export type ReactiveOptions = TargetTrackingOptions;

/** `reactive`: the service's own target tracking alone (`shared/sim/target-tracking.ts`). */

export class ReactivePolicy implements Policy {
  readonly name = 'reactive' as const;
  private readonly tracker: ReactiveTracker;
  constructor(options: TargetTrackingOptions = {}) {
    this.tracker = new ReactiveTracker(options);
  }
  decide(view: PolicyView): Decision {
    return { primary: this.tracker.desired(view, view.primary.desired) };
  }
}
