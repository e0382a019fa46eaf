import {
  bestThreshold,
  corpusScore,
  NAB_PROFILES,
  normalise,
  nullAndPerfect,
  prepareFile,
  probationaryLength,
  scaledSigmoid,
  scoreFile,
  splitHalves,
} from '../../../bench/nab-scorer';

// A 20-row file, one window over rows 10..13 (width 4). Probation: floor(0.15 × 20) = 3 rows.
// Scores: row 1 = 0.99 (in probation: ignored), row 5 = 0.9 (before the window: an FP worth −1),
// row 11 = 0.8 and row 12 = 0.95 (in the window), row 15 = 0.85 (2 rows past the window's end:
// position 2 / (4 − 1)).
const MINUTE = 60_000;
const timestamps = Array.from({ length: 20 }, (_, i) => i * MINUTE);
const scores = timestamps.map(() => 0);
scores[1] = 0.99;
scores[5] = 0.9;
scores[11] = 0.8;
scores[12] = 0.95;
scores[15] = 0.85;
const windows: [number, number][] = [[10 * MINUTE, 13 * MINUTE]];

// By hand: scaledSigmoid(x) = 2 / (1 + e^{5x}) − 1.
// maxTP = scaledSigmoid(−1) = 2 / (1 + e^{−5}) − 1 = 0.9866142981514305.
// Row 11: position −(13 − 11 + 1) / 4 = −0.75: (2 / (1 + e^{−3.75}) − 1) / maxTP = 0.9669890878000605.
// Row 12: position −(13 − 12 + 1) / 4 = −0.5: (2 / (1 + e^{−2.5}) − 1) / maxTP = 0.8597925669097837.
// Row 15: 2 / (1 + e^{10/3}) − 1 = −0.9311096086675776.
const TP11 = 0.9669890878000605;
const TP12 = 0.8597925669097837;
const FP15 = -0.9311096086675776;

describe('NAB scorer on a hand-scored file', () => {
  const file = prepareFile('tiny.csv', timestamps, scores, windows);

  it('skips the probationary rows and weights the rest by position', () => {
    expect(probationaryLength(20)).toBe(3);
    expect(probationaryLength(10_000)).toBe(750);
    expect(file.scores.length).toBe(17);
    expect(file.windows).toBe(1);
    expect(scaledSigmoid(-1)).toBeCloseTo(0.9866142981514305, 15);
    expect(scaledSigmoid(3.01)).toBe(-1);
    expect(file.weights[5 - 3]).toBe(-1);
    expect(file.weights[11 - 3]).toBeCloseTo(TP11, 12);
    expect(file.weights[12 - 3]).toBeCloseTo(TP12, 12);
    expect(file.weights[15 - 3]).toBeCloseTo(FP15, 12);
  });

  it.each([
    // threshold, expected raw standard score, tp, fp, fn, tn (rows)
    [1.0, -1, 0, 0, 4, 13],
    [0.95, TP12, 1, 0, 3, 13],
    [0.9, TP12 - 0.11, 1, 1, 3, 12],
    [0.85, TP12 - 0.11 + 0.11 * FP15, 1, 2, 3, 11],
    [0.8, TP11 - 0.11 + 0.11 * FP15, 2, 2, 2, 11],
  ])('standard profile at threshold %f scores %f', (threshold, want, tp, fp, fn, tn) => {
    const got = scoreFile(file, threshold, NAB_PROFILES.standard);
    expect(got.score).toBeCloseTo(want, 12);
    expect({ tp: got.tp, fp: got.fp, fn: got.fn, tn: got.tn }).toEqual({ tp, fp, fn, tn });
  });

  it('the low-FP profile doubles the FP cost and the low-FN profile the miss cost', () => {
    expect(scoreFile(file, 0.9, NAB_PROFILES.reward_low_FP_rate).score).toBeCloseTo(TP12 - 0.22, 12);
    expect(scoreFile(file, 1.0, NAB_PROFILES.reward_low_FN_rate).score).toBe(-2);
  });

  it('sweeps to the best threshold (0.95 here) and normalises null 0, perfect 100', () => {
    const best = bestThreshold([file], NAB_PROFILES.standard);
    expect(best.threshold).toBe(0.95);
    expect(best.raw).toBeCloseTo(TP12, 12);
    const { nullScore, perfect } = nullAndPerfect([file], NAB_PROFILES.standard);
    expect([nullScore, perfect]).toEqual([-1, 1]);
    expect(normalise(best.raw, nullScore, perfect)).toBeCloseTo((100 * (TP12 + 1)) / 2, 10);
    expect(normalise(nullScore, nullScore, perfect)).toBe(0);
    expect(normalise(perfect, nullScore, perfect)).toBe(100);
  });
});

describe('NAB scores of the two halves of a corpus', () => {
  // The hand-scored file (best at 0.95) and one scoring 0 everywhere, whose best is to flag every
  // row: its window at the first row, less the FPs of all its other rows.
  const scored = prepareFile('a.csv', timestamps, scores, windows);
  const flat = prepareFile(
    'b.csv',
    timestamps,
    timestamps.map(() => 0),
    windows,
  );
  const flatRaw = scoreFile(flat, 0, NAB_PROFILES.standard).score;

  it.each([
    ['no files', [], [], []],
    ['one file', ['a'], ['a'], []],
    ['four files', ['a', 'b', 'c', 'd'], ['a', 'c'], ['b', 'd']],
    ['five files', ['a', 'b', 'c', 'd', 'e'], ['a', 'c', 'e'], ['b', 'd']],
  ])('%s: odd are the 1st, 3rd, …, even the 2nd, 4th, …', (_name, files, odd, even) => {
    expect(splitHalves(files)).toEqual({ odd, even });
  });

  it('each half is normalised and thresholded on its own', () => {
    const { odd, even } = splitHalves([scored, flat]);
    const odds = corpusScore(odd, NAB_PROFILES.standard);
    const evens = corpusScore(even, NAB_PROFILES.standard);
    expect(odds.threshold).toBe(0.95);
    expect(odds.score).toBeCloseTo((100 * (TP12 + 1)) / 2, 10);
    expect(evens.threshold).toBe(0);
    expect(evens.score).toBeCloseTo((100 * (flatRaw + 1)) / 2, 10);
    // Together one threshold serves both files, so the corpus is not the mean of its halves.
    const both = corpusScore([scored, flat], NAB_PROFILES.standard).score;
    expect(both).toBeLessThan((odds.score + evens.score) / 2);
  });
});
