import { decideRegionalAction } from '../../../shared/failover/decide';
import {
  AwsHealthEvent,
  expectedUnitsAtFull,
  forecastRisk,
  HEALTHY,
  healthIssueChange,
  judgeRegion,
  nextRegionHealth,
  type RegionHealth,
  type Verdict,
} from '../../../shared/failover/health';
import { planStandby, raisedStandbyUnits } from '../../../shared/failover/standby';
import type { TargetHealthResult } from '../../../shared/ports/metrics';
import type { Prediction } from '../../../shared/schemas/series';
import { Workload } from '../../../shared/schemas/workload';
import { failoverWorkloadInput } from '../../helpers/failover';

const workload = Workload.parse(failoverWorkloadInput());
const detection = workload.failover?.detection as NonNullable<Workload['failover']>['detection'];
const T0 = Date.UTC(2026, 10, 23, 9, 0);
const MIN = 60_000;

const sample = (
  over: Partial<{ req: number; err: number; p99: number; healthy: number }> = {},
): TargetHealthResult => ({
  kind: 'data',
  sample: {
    requestCount: over.req ?? 1_000,
    errors5xx: over.err ?? 0,
    p99LatencyMs: over.p99 ?? 120,
    unhealthyHosts: 0,
    healthyHosts: over.healthy ?? 4,
  },
});

describe('judgeRegion', () => {
  it.each([
    ['healthy', sample(), false, []],
    ['5xx over the limit', sample({ err: 100 }), false, ['5xx rate 10.0% > 5.0%']],
    ['slow', sample({ p99: 2_500 }), false, ['response time 2500 ms > 2000 ms']],
    ['no healthy host', sample({ healthy: 0 }), false, ['0 healthy host(s) < 1']],
    [
      'no data is bad, never healthy',
      { kind: 'no-data', reason: 'no datapoints' } as const,
      false,
      ['no metrics: no datapoints'],
    ],
    ['open AWS Health issue', sample(), true, ['an AWS Health issue is open for the region']],
    ['no requests is not an error rate', sample({ req: 0, err: 0 }), false, []],
  ])('%s', (_name, metrics, issue, reasons) => {
    const verdict = judgeRegion(metrics as TargetHealthResult, issue, detection);
    expect(verdict.kind === 'bad' ? verdict.reasons : []).toEqual(reasons);
  });

  it.each([
    // expected units at 100 %, metrics, verdict
    ['5xx with demand beyond the healthy hosts is overload', 6.5, sample({ err: 100 }), 'overloaded'],
    ['slow with demand beyond the healthy hosts is overload', 9, sample({ p99: 2_500 }), 'overloaded'],
    ['5xx with the hosts enough for the demand is degradation', 3.5, sample({ err: 100 }), 'bad'],
    ['5xx with no forecast is degradation', undefined, sample({ err: 100 }), 'bad'],
    ['no healthy host is never overload', 9, sample({ err: 100, healthy: 0 }), 'bad'],
    ['no data is never overload', 9, { kind: 'no-data', reason: 'none' } as const, 'bad'],
    ['no breach is good whatever the forecast', 9, sample(), 'good'],
  ])('%s', (_name, expectedUnits, metrics, kind) => {
    expect(judgeRegion(metrics as TargetHealthResult, false, detection, expectedUnits).kind).toBe(kind);
  });
});

describe('expectedUnitsAtFull (through the planning core)', () => {
  it('is the forecast demand in units at 100 % over the window, times the share', () => {
    // The p95 step at T0 is 40 / 4 = 10 units at 0.7, i.e. 7 units at 100 %.
    expect(expectedUnitsAtFull(workload, forecast(40), T0, T0 + MIN, 1)).toBeCloseTo(7, 6);
    expect(expectedUnitsAtFull(workload, forecast(40), T0, T0 + MIN, 0.5)).toBeCloseTo(3.5, 6);
  });
  it('is unknown without a forecast covering the window', () => {
    expect(expectedUnitsAtFull(workload, [], T0, T0 + MIN, 1)).toBeUndefined();
  });
});

describe('nextRegionHealth (hysteresis)', () => {
  const bad: Verdict = { kind: 'bad', reasons: ['x'] };
  const good: Verdict = { kind: 'good' };
  const over: Verdict = { kind: 'overloaded', reasons: ['x'] };
  const walk = (verdicts: Verdict[]): RegionHealth[] => {
    let state = HEALTHY(T0);
    return verdicts.map((v, i) => {
      state = nextRegionHealth(state, v, detection, T0 + i * MIN);
      return state;
    });
  };
  it.each([
    ['3 bad in a row degrade', [bad, bad, bad], 'degraded'],
    ['2 bad then good stays healthy', [bad, bad, good, bad, bad], 'healthy'],
    ['recovery needs 5 good in a row', [bad, bad, bad, good, good, good, good], 'degraded'],
    ['5 good recover', [bad, bad, bad, good, good, good, good, good], 'healthy'],
    ['a bad one resets the recovery', [bad, bad, bad, good, good, good, good, bad, good], 'degraded'],
    ['overload does not degrade a healthy region', [bad, bad, over, bad, bad], 'healthy'],
    [
      'overload does not recover a degraded one',
      [bad, bad, bad, good, good, over, good, good, good],
      'degraded',
    ],
  ])('%s', (_name, verdicts, status) => {
    expect(walk(verdicts).at(-1)?.status).toBe(status);
  });
  it('records when the status changed', () => {
    expect(walk([bad, bad, bad]).at(-1)?.since).toBe(T0 + 2 * MIN);
  });
});

describe('AWS Health events', () => {
  const event = (detail: Record<string, unknown>) =>
    AwsHealthEvent.parse({
      source: 'aws.health',
      'detail-type': 'AWS Health Event',
      region: 'us-east-1',
      detail: {
        service: 'EC2',
        eventTypeCode: 'AWS_EC2_OPERATIONAL_ISSUE',
        eventTypeCategory: 'issue',
        statusCode: 'open',
        ...detail,
      },
    });
  it.each([
    ['open issue', {}, { region: 'us-east-1', open: true }],
    ['closed issue', { statusCode: 'closed' }, { region: 'us-east-1', open: false }],
    ['event region wins', { eventRegion: 'us-west-2' }, { region: 'us-west-2', open: true }],
    ['scheduled change ignored', { eventTypeCategory: 'scheduledChange' }, undefined],
    ['unrelated service ignored', { service: 'WORKSPACES' }, undefined],
  ])('%s', (_name, detail, expected) => {
    expect(healthIssueChange(event(detail))).toEqual(expected);
  });
});

/** A forecast whose p95 demand peaks at `peakUnits` units of the requests metric (6000/unit at 0.7). */
function forecast(peakUnits: number, cpuPeak = 10): Prediction[] {
  const mk = (metric: string, peak: number): Prediction => {
    const p95 = Array.from({ length: 12 }, (_, i) => (i === 6 ? peak : peak / 4));
    return {
      workloadId: workload.workloadId,
      metric,
      generatedAt: T0,
      startMs: T0,
      intervalMs: 5 * MIN,
      point: p95.map((v) => v / 2),
      quantiles: [{ q: 0.95, values: p95 }],
      model: 'ets',
      confidence: 'high',
      signals: [],
    };
  };
  return [mk('requests', peakUnits * 6_000 * 0.7), mk('cpu', cpuPeak)];
}

describe('forecastRisk (through the planning core)', () => {
  it.each([
    ['under primary max', 15, false],
    ['over primary max but the shadow pool absorbs it', 28, false],
    ['beyond primary max + shadow max (20 + 10)', 34, true],
  ])('%s', (_name, peak, atRisk) => {
    const risk = forecastRisk(workload, forecast(peak), T0);
    expect(risk.atRisk).toBe(atRisk);
    expect(risk.peakUnits).toBeCloseTo(peak, 6);
    expect(risk.regionalCeilingUnits).toBe(30);
  });
  it('no forecast is not a risk, and says so', () => {
    expect(forecastRisk(workload, [], T0)).toMatchObject({
      atRisk: false,
      reason: 'no forecast covers the horizon',
    });
  });
  it('ignores forecast steps beyond the contention horizon', () => {
    const far = forecast(34).map((p) => ({ ...p, startMs: T0 + 2 * 3_600_000 }));
    expect(forecastRisk(workload, far, T0).atRisk).toBe(false);
  });
});

describe('planStandby', () => {
  const calm = forecastRisk(workload, forecast(12), T0);
  const risky = forecastRisk(workload, forecast(34), T0);
  const degraded: RegionHealth = { status: 'degraded', streak: 0, since: T0, reasons: ['5xx'] };
  it.each([
    ['calm holds the calm size', calm, HEALTHY(T0), 0, 1, 'hold', 1],
    ['calm scales a raised standby back', calm, HEALTHY(T0), 0, 12, 'scale-in', 1],
    ['calm tops a missing footprint up', calm, HEALTHY(T0), 0, 0, 'scale-out', 1],
    ['forecast risk raises to the peak (capped at max 20)', risky, HEALTHY(T0), 0, 1, 'scale-out', 20],
    ['home degraded raises to the forecast peak', calm, degraded, 0, 1, 'scale-out', 12],
    ['traffic on the standby keeps it raised', calm, HEALTHY(T0), 100, 12, 'hold', 12],
  ] as const)('%s', (_name, risk, home, standbyWeight, currentDesired, action, desired) => {
    const d = planStandby({ workload, risk, home, standbyWeight, currentDesired });
    expect([d.action, d.desired]).toEqual([action, desired]);
  });
  it('riskShare sizes a share of the peak', () => {
    const input = failoverWorkloadInput();
    if (input.failover) input.failover.standby = { calmUnits: 2, riskShare: 0.5 };
    expect(raisedStandbyUnits(Workload.parse(input), 13)).toBe(7);
    expect(raisedStandbyUnits(Workload.parse(input), 1)).toBe(2);
  });
});

describe('decideRegionalAction', () => {
  const calm = forecastRisk(workload, forecast(12), T0);
  const risky = forecastRisk(workload, forecast(34), T0);
  const degraded: RegionHealth = { status: 'degraded', streak: 0, since: T0, reasons: ['5xx'] };
  const healthySince = (ms: number): RegionHealth => ({ ...HEALTHY(ms) });
  const now = T0 + 3_600_000;
  it.each([
    ['home degraded fails over', degraded, HEALTHY(T0), calm, 0, 'failover'],
    ['predicted shortfall fails over', HEALTHY(T0), HEALTHY(T0), risky, 0, 'failover'],
    ['standby degraded too: stay', degraded, degraded, calm, 0, 'none'],
    ['calm at home: nothing', HEALTHY(T0), HEALTHY(T0), calm, 0, 'none'],
    [
      'failed over, home healthy for the hold: fail back',
      healthySince(now - 1_800_000),
      HEALTHY(T0),
      calm,
      100,
      'failback',
    ],
    ['failed over, hold not served yet', healthySince(now - 600_000), HEALTHY(T0), calm, 100, 'none'],
    ['failed over, home healthy but at risk', healthySince(T0), HEALTHY(T0), risky, 100, 'none'],
    ['failed over, home degraded', degraded, HEALTHY(T0), calm, 100, 'none'],
  ] as const)('%s', (_name, home, standby, risk, standbyWeight, kind) => {
    expect(decideRegionalAction({ home, standby, risk, standbyWeight, holdSeconds: 1_800, now }).kind).toBe(
      kind,
    );
  });
});
