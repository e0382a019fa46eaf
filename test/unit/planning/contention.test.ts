import { ForecastInputError, ValidationError } from '../../../shared/errors';
import {
  assessContention,
  capacityOf,
  decide,
  type MetricDemand,
  type PreviousDecision,
  shadowUnitsFor as recommendedShadowUnits,
  shouldEscalate,
} from '../../../shared/planning';
import { Workload, type WorkloadInput } from '../../../shared/schemas/workload';
import { workloadInput } from '../../helpers/fixtures';

// checkout-api: maxUnits 20, targetUtilization 0.7; requests 6000/unit (weight 0.7), cpu 100/unit (0.3).
// Capacity: requests 20 * 6000 * 0.7 = 84,000; cpu 20 * 100 * 0.7 = 1,400.
function workload(patch: (w: WorkloadInput) => void = () => {}): Workload {
  const input = workloadInput();
  patch(input);
  return Workload.parse(input);
}

const T0 = 1_700_000_000_000;
const FIVE_MIN = 300_000;
const demand = (metric: string, values: number[], startMs = T0, intervalMs = FIVE_MIN): MetricDemand => ({
  metric,
  startMs,
  intervalMs,
  values,
});

describe('capacityOf', () => {
  it('is maxUnits x capacityPerUnit x targetUtilization', () => {
    const w = workload();
    expect(w.metrics.map((m) => capacityOf(w, m))).toEqual([84_000, 1_400]);
  });
});

describe('assessContention', () => {
  it.each([
    {
      name: 'no deficit anywhere',
      requests: [50_000, 60_000, 84_000],
      cpu: [700, 900, 1_400],
      score: 0,
      shortageAt: undefined,
      worstAt: T0,
    },
    {
      name: 'requests 25% over at step 2 only',
      requests: [50_000, 60_000, 105_000],
      cpu: [700, 900, 1_000],
      score: 0.7 * 0.25,
      shortageAt: T0 + 2 * FIVE_MIN,
      worstAt: T0 + 2 * FIVE_MIN,
    },
    {
      name: 'both over at different steps: the worst step wins, not the sum of peaks',
      requests: [168_000, 84_000, 84_000],
      cpu: [1_400, 2_800, 1_400],
      score: 0.7 * 1,
      shortageAt: T0,
      worstAt: T0,
    },
    {
      name: 'both over at the same step add up by weight',
      requests: [84_000, 126_000, 84_000],
      cpu: [1_400, 2_100, 1_400],
      score: 0.7 * 0.5 + 0.3 * 0.5,
      shortageAt: T0 + FIVE_MIN,
      worstAt: T0 + FIVE_MIN,
    },
  ])('$name', ({ requests, cpu, score, shortageAt, worstAt }) => {
    const result = assessContention(workload(), [demand('requests', requests), demand('cpu', cpu)]);
    expect(result.score).toBeCloseTo(score, 12);
    expect(result.shortageAt).toBe(shortageAt);
    expect(result.worstAt).toBe(worstAt);
  });

  it('normalises weights over critical metrics only', () => {
    const w = workload((i) => {
      const cpu = i.metrics[1];
      if (cpu) cpu.critical = false;
    });
    // Only requests counts, with its weight normalised to 1.
    const result = assessContention(w, [demand('requests', [126_000])]);
    expect(result.score).toBeCloseTo(0.5, 12);
    expect(result.metrics).toEqual([
      { metric: 'requests', weight: 1, capacity: 84_000, peakDemand: 126_000, peakDeficit: 0.5 },
    ]);
  });

  it('reports the peak in units at target utilisation over all critical metrics', () => {
    // requests 126,000 / (6000 * 0.7) = 30 units; cpu 700 / (100 * 0.7) = 10 units.
    const result = assessContention(workload(), [demand('requests', [126_000]), demand('cpu', [700])]);
    expect(result.peakUnits).toBeCloseTo(30, 9);
  });

  it('aligns metrics with different periods by time, clamping each to its own horizon', () => {
    // cpu at 10-minute steps, requests at 5-minute steps starting 5 minutes later.
    const result = assessContention(workload(), [
      demand('requests', [84_000, 84_000], T0 + FIVE_MIN),
      demand('cpu', [1_400, 2_800], T0, 2 * FIVE_MIN),
    ]);
    // cpu's second step covers T0+10min: 100% over, weight 0.3.
    expect(result.score).toBeCloseTo(0.3, 12);
    expect(result.shortageAt).toBe(T0 + 2 * FIVE_MIN);
  });

  it.each([
    { name: 'a missing critical metric', demands: [demand('requests', [1])] },
    { name: 'an empty forecast', demands: [demand('requests', [1]), demand('cpu', [])] },
    {
      name: 'a NaN step (a gap is not zero demand)',
      demands: [demand('requests', [1]), demand('cpu', [NaN])],
    },
  ])('refuses $name', ({ demands }) => {
    expect(() => assessContention(workload(), demands)).toThrow(ForecastInputError);
  });
});

describe('decide (hysteresis)', () => {
  const thresholds = { threshold: 0.05, clearThreshold: 0.01 };
  const NOW = T0 + 1_000;
  const calm: PreviousDecision = { contended: false, since: T0 };
  const contended: PreviousDecision = { contended: true, since: T0 };

  it.each([
    { previous: undefined, score: 0, contended: false, transition: undefined, since: NOW },
    { previous: undefined, score: 0.05, contended: true, transition: 'predicted', since: NOW },
    { previous: calm, score: 0.049, contended: false, transition: undefined, since: T0 },
    { previous: calm, score: 0.05, contended: true, transition: 'predicted', since: NOW },
    { previous: calm, score: 0.3, contended: true, transition: 'predicted', since: NOW },
    // Between the lines the decision holds, whichever side it is on.
    { previous: calm, score: 0.03, contended: false, transition: undefined, since: T0 },
    { previous: contended, score: 0.03, contended: true, transition: undefined, since: T0 },
    { previous: contended, score: 0.049, contended: true, transition: undefined, since: T0 },
    { previous: contended, score: 0.0101, contended: true, transition: undefined, since: T0 },
    { previous: contended, score: 0.01, contended: false, transition: 'cleared', since: NOW },
    { previous: contended, score: 0, contended: false, transition: 'cleared', since: NOW },
    { previous: contended, score: 0.2, contended: true, transition: undefined, since: T0 },
  ])('previous $previous.contended, score $score -> contended $contended ($transition)', (row) => {
    expect(decide(row.previous, row.score, thresholds, NOW)).toEqual({
      contended: row.contended,
      since: row.since,
      transition: row.transition,
    });
  });

  it('does not flap on a score oscillating between the two lines', () => {
    const scores = [0.06, 0.02, 0.045, 0.015, 0.04, 0.005, 0.03, 0.049];
    let previous: PreviousDecision | undefined;
    const transitions: string[] = [];
    scores.forEach((score, i) => {
      const d = decide(previous, score, thresholds, T0 + i);
      if (d.transition) transitions.push(d.transition);
      previous = d;
    });
    expect(transitions).toEqual(['predicted', 'cleared']);
  });

  it.each([NaN, -0.1, Infinity])('refuses score %p', (score) => {
    expect(() => decide(undefined, score, thresholds, NOW)).toThrow(ForecastInputError);
  });

  it('refuses a clear threshold that is not below the threshold', () => {
    expect(() => decide(undefined, 0, { threshold: 0.05, clearThreshold: 0.05 }, NOW)).toThrow(
      ValidationError,
    );
  });
});

describe('recommendedShadowUnits', () => {
  // maxUnits 20, shadowMaxUnits 10; defaults shadowShare 1, bufferFraction 0 (the planning path is the headroom).
  it.each([
    { peakUnits: 0, expected: 0 },
    { peakUnits: 15, expected: 0 },
    { peakUnits: 20, expected: 0 },
    { peakUnits: 20.1, expected: 1 },
    { peakUnits: 23, expected: 3 },
    { peakUnits: 23.4, expected: 4 }, // rounded up
    { peakUnits: 25, expected: 5 },
    { peakUnits: 40, expected: 10 }, // capped at shadowMaxUnits
    { peakUnits: NaN, expected: 0 },
  ])('peak $peakUnits units -> $expected', ({ peakUnits, expected }) => {
    expect(recommendedShadowUnits(workload(), peakUnits)).toBe(expected);
  });

  it('a buffer, when a workload asks for one, never creeps a unit from float noise', () => {
    const w = workload((i) => {
      i.migration = { ...i.migration, bufferFraction: 0.2 };
    });
    expect(recommendedShadowUnits(w, 25)).toBe(6); // 5 * 1.2 = 6 exactly
    expect(recommendedShadowUnits(w, 23)).toBe(4); // 3 * 1.2 = 3.6
  });

  it('applies shadowShare and bufferFraction', () => {
    const w = workload((i) => {
      i.migration = { ...i.migration, shadowShare: 0.5, bufferFraction: 0 };
    });
    expect(recommendedShadowUnits(w, 30)).toBe(5);
  });

  it('is 0 when shadow pools are disabled', () => {
    const w = workload((i) => {
      i.capacity.shadowMaxUnits = 0;
    });
    expect(recommendedShadowUnits(w, 40)).toBe(0);
  });
});

describe('shouldEscalate', () => {
  type D = { contended: boolean; since: number; transition: 'predicted' | 'cleared' | undefined };
  const still: D = { contended: true, since: 0, transition: undefined };
  it.each<[string, { contended: boolean; recommendedShadowUnits?: number } | undefined, D, number, boolean]>([
    ['grown by a quarter: announce again', { contended: true, recommendedShadowUnits: 4 }, still, 5, true],
    ['grown by less than a quarter: no', { contended: true, recommendedShadowUnits: 8 }, still, 9, false],
    [
      'grown by a quarter: announce again (8 -> 10)',
      { contended: true, recommendedShadowUnits: 8 },
      still,
      10,
      true,
    ],
    ['at least one unit (1 -> 2)', { contended: true, recommendedShadowUnits: 1 }, still, 2, true],
    ['shrunk: no', { contended: true, recommendedShadowUnits: 6 }, still, 3, false],
    ['nothing announced yet counts as 0', { contended: true }, still, 1, true],
    [
      'a fresh prediction is not an escalation',
      { contended: false },
      { contended: true, since: 5, transition: 'predicted' },
      9,
      false,
    ],
    [
      'cleared: no',
      { contended: true, recommendedShadowUnits: 2 },
      { contended: false, since: 5, transition: 'cleared' },
      9,
      false,
    ],
    ['no previous decision: no', undefined, still, 9, false],
  ])('%s', (_name, previous, decision, units, expected) => {
    expect(shouldEscalate(previous, decision, units)).toBe(expected);
  });
});
