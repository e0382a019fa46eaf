import type { Workload } from '../schemas/workload';
import type { ForecastRisk, RegionHealth } from './health';

/**
 * The forecast-sized standby. While calm the standby region holds `calmUnits` (enough to answer
 * health checks and warm caches); when the home region is degraded, or the forecast puts it at
 * risk, or traffic already runs on the standby, it is raised to `riskShare` of the forecast peak
 * (in units, from the planning core via `forecastRisk`) so that a failover lands on capacity that
 * is already there. Scaling back to calm happens only with no traffic on the standby.
 */
export interface StandbyDecision {
  action: 'scale-out' | 'scale-in' | 'hold';
  desired: number;
  raised: boolean;
  reason: string;
}

export function standbyLimits(workload: Workload): { calm: number; max: number } {
  const standby = workload.failover?.standby;
  const max = standby?.maxUnits ?? workload.capacity.maxUnits;
  return { calm: Math.min(max, standby?.calmUnits ?? 1), max };
}

/** Units the standby is raised to: `riskShare` of the forecast peak, between calm and max. */
export function raisedStandbyUnits(workload: Workload, peakUnits: number): number {
  const { calm, max } = standbyLimits(workload);
  const share = workload.failover?.standby.riskShare ?? 1;
  // Round before ceil so float noise does not add a unit.
  const wanted = Math.ceil(Number((share * Math.max(0, peakUnits)).toFixed(9)));
  return Math.min(max, Math.max(calm, wanted));
}

export function planStandby(input: {
  workload: Workload;
  risk: ForecastRisk;
  home: RegionHealth;
  /** Share of traffic (percent) the standby region carries now. */
  standbyWeight: number;
  currentDesired: number;
}): StandbyDecision {
  const { workload, risk, home, standbyWeight, currentDesired } = input;
  const { calm } = standbyLimits(workload);
  const why: string[] = [];
  if (home.status === 'degraded') why.push(`home region degraded (${home.reasons.join('; ') || 'observed'})`);
  if (risk.atRisk) why.push(risk.reason);
  if (standbyWeight > 0) why.push(`standby carries ${standbyWeight}% of traffic`);
  if (why.length > 0) {
    const desired = raisedStandbyUnits(workload, risk.peakUnits);
    if (desired > currentDesired) {
      return {
        action: 'scale-out',
        desired,
        raised: true,
        reason: `raise ${currentDesired} → ${desired}: ${why.join('; ')}`,
      };
    }
    return {
      action: 'hold',
      desired: currentDesired,
      raised: true,
      reason: `hold ${currentDesired}: ${why.join('; ')}`,
    };
  }
  if (currentDesired > calm) {
    return { action: 'scale-in', desired: calm, raised: false, reason: `calm: back to ${calm} unit(s)` };
  }
  if (currentDesired < calm) {
    return { action: 'scale-out', desired: calm, raised: false, reason: `calm: hold ${calm} unit(s)` };
  }
  return { action: 'hold', desired: currentDesired, raised: false, reason: `calm: ${calm} unit(s)` };
}
