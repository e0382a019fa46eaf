import type { ShadowscaleEvent } from '../schemas/events';
import type { TrafficWeights } from '../schemas/operation';

/**
 * The decisions of one run of the control loop, as a list a person (and a test) can compare:
 * contention announced with its sizes, pre-warm floors and shadow sizes, operations started and
 * ended, and every verified weight step. The backtest's deployed loop and `shadowscale local`
 * both write it; on the same trace they must write the same list.
 */
export interface LoopDecision {
  atMs: number;
  kind: 'contention' | 'prewarm' | 'operation' | 'weights' | 'planning';
  text: string;
}

const n = (v: number): string => (Number.isInteger(v) ? String(v) : v.toFixed(3));

export class DecisionLog {
  readonly entries: LoopDecision[] = [];
  private lastPrewarm = '';

  contention(atMs: number, event: ShadowscaleEvent): void {
    if (event.detailType === 'Contention Predicted') {
      const d = event.detail;
      this.entries.push({
        atMs,
        kind: 'contention',
        text: `predicted score ${n(d.score)} peak ${n(d.peakUnits)} units shadow ${d.recommendedShadowUnits} units`,
      });
    } else if (event.detailType === 'Contention Cleared') {
      this.entries.push({ atMs, kind: 'contention', text: `cleared score ${n(event.detail.score)}` });
    }
  }

  /** A pre-warm plan, recorded when the floor or the shadow size it sets changes. */
  prewarm(atMs: number, plan: { primaryFloor: number; shadowDesired?: number; byMetric: unknown[] }): void {
    if (plan.byMetric.length === 0) return;
    const text = `primary floor ${plan.primaryFloor}${plan.shadowDesired !== undefined ? ` shadow ${plan.shadowDesired}` : ''}`;
    if (text === this.lastPrewarm && plan.shadowDesired === undefined) return;
    this.lastPrewarm = text;
    this.entries.push({ atMs, kind: 'prewarm', text });
  }

  /** The learner changed a metric's planning settings. */
  planning(atMs: number, metric: string, to: string): void {
    this.entries.push({ atMs, kind: 'planning', text: `${metric} planned at ${to}` });
  }

  operationStarted(atMs: number, kind: string): void {
    this.entries.push({ atMs, kind: 'operation', text: `${kind} started` });
  }

  operationEnded(atMs: number, kind: string, status: 'succeeded' | 'failed', error?: string): void {
    this.entries.push({ atMs, kind: 'operation', text: `${kind} ${status}${error ? ` (${error})` : ''}` });
  }

  weights(atMs: number, weights: TrafficWeights): void {
    this.entries.push({ atMs, kind: 'weights', text: `primary ${weights.primary} shadow ${weights.shadow}` });
  }
}
