import type { ForecastRisk, RegionHealth } from './health';

/** What the regional controller starts next, if anything. */
export type RegionalAction =
  | { kind: 'failover'; trigger: 'observed-degradation' | 'predicted-shortfall'; reason: string }
  | { kind: 'failback'; reason: string }
  | { kind: 'none'; reason: string };

/**
 * Fail over when the home region is degraded (observed, after hysteresis) or, with traffic still
 * home, when the forecast says the region cannot serve what is coming; fail back once the home
 * region has been healthy and calm (no forecast risk) for the hold time.
 */
export function decideRegionalAction(input: {
  home: RegionHealth;
  standby: RegionHealth;
  risk: ForecastRisk;
  /** Share of traffic (percent) on the standby region now. */
  standbyWeight: number;
  holdSeconds: number;
  now: number;
}): RegionalAction {
  const { home, standby, risk, standbyWeight, holdSeconds, now } = input;
  if (standbyWeight < 100) {
    if (standby.status === 'degraded')
      return { kind: 'none', reason: 'standby region degraded too: staying' };
    if (home.status === 'degraded') {
      return {
        kind: 'failover',
        trigger: 'observed-degradation',
        reason: `home degraded: ${home.reasons.join('; ')}`,
      };
    }
    if (risk.atRisk && standbyWeight === 0) {
      return { kind: 'failover', trigger: 'predicted-shortfall', reason: risk.reason };
    }
    return { kind: 'none', reason: 'home healthy' };
  }
  if (home.status !== 'healthy') return { kind: 'none', reason: 'home still degraded' };
  if (risk.atRisk) return { kind: 'none', reason: `home healthy but ${risk.reason}` };
  const calmFor = (now - home.since) / 1000;
  if (calmFor < holdSeconds) {
    return { kind: 'none', reason: `home healthy for ${Math.round(calmFor)} s of ${holdSeconds} s` };
  }
  return { kind: 'failback', reason: `home healthy and calm for ${Math.round(calmFor)} s` };
}
