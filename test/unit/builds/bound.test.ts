import {
  type BoundRow,
  boundTables,
  crossValidate,
  foldsOf,
  type StageTable,
} from '../../../bench/builds-bound';
import {
  type CiRun,
  LRTS_START_COLUMNS,
  lrtsRuns,
  TRAVIS_START_COLUMNS,
  travisRuns,
} from '../../../bench/builds-data';
import { binFeatures, boostL1, knnMedians, median } from '../../../bench/l1-learners';
import { mulberry32 as rng } from '../../../shared/sim/random';

const range = (n: number) => Int32Array.from({ length: n }, (_, i) => i);

/** A stage whose log work over its median is `logRatio(features)` plus noise. */
function stage(
  n: number,
  logRatio: (x: Record<string, number>, noise: number) => number,
  seed = 1,
): StageTable {
  const random = rng(seed);
  const rows: BoundRow[] = [];
  for (let i = 0; i < n; i++) {
    const features = { a: random(), b: random(), c: Math.floor(random() * 5) };
    const seconds = 100 * Math.exp(logRatio(features, random() - 0.5));
    rows.push({ run: i, features, seconds, median20: 100, last: 100 });
  }
  return { stage: 'p/s', dataset: 'lrts', rows };
}

describe('L1 boosted trees', () => {
  it('finds a step in one feature among noise features', () => {
    // Prepare: y = 2 above a = 0.6, else 0, plus uniform noise of width 0.2; b is noise.
    const random = rng(3);
    const n = 600;
    const a = Float64Array.from({ length: n }, () => random());
    const b = Float64Array.from({ length: n }, () => random());
    const y = Float64Array.from(a, (x) => (x > 0.6 ? 2 : 0) + 0.2 * (random() - 0.5));
    const data = binFeatures([a, b]);
    const train = range(400);
    const evaluate = Int32Array.from({ length: 200 }, (_, i) => 400 + i);
    // Act
    const fit = boostL1(data, y, train, evaluate, {
      checkpoints: [0, 100],
      depth: 2,
      shrinkage: 0.1,
      minLeaf: 10,
      subsample: 0.7,
      seed: 1,
    });
    // Assess: the error falls to about the noise (mean |U(−0.1, 0.1)| = 0.05), the step is on a near 0.6.
    const mae = (pred: Float64Array) =>
      pred.reduce((s, p, i) => s + Math.abs(p - (y[evaluate[i] as number] as number)), 0) / pred.length;
    const [start, end] = fit.atCheckpoint as [Float64Array, Float64Array];
    expect(mae(start)).toBeGreaterThan(0.7);
    expect(mae(end)).toBeLessThan(0.12);
    expect(fit.gain[0]).toBeGreaterThan(20 * (fit.gain[1] as number));
    const root = fit.trees[0];
    expect(root?.feature[0]).toBe(0);
    const cut = data.cuts[0]?.[(root?.bin[0] as number) - 1] as number;
    expect(Math.abs(cut - 0.6)).toBeLessThan(0.05);
  });

  it('starts from a given base and keeps it when there is nothing left to learn', () => {
    // Prepare: y equals the base exactly.
    const random = rng(5);
    const a = Float64Array.from({ length: 200 }, () => random());
    const base = Float64Array.from(a, (x) => 3 * x);
    const data = binFeatures([a]);
    // Act
    const fit = boostL1(
      data,
      base,
      range(150),
      Int32Array.from({ length: 50 }, (_, i) => 150 + i),
      {
        checkpoints: [0, 50],
        depth: 2,
        shrinkage: 0.1,
        minLeaf: 5,
        subsample: 1,
        seed: 1,
      },
      base,
    );
    // Assess
    for (const pred of fit.atCheckpoint)
      pred.forEach((p, i) => {
        expect(p).toBeCloseTo(base[150 + i] as number, 9);
      });
  });
});

describe('k-nearest-neighbours median', () => {
  it('takes the median of the k nearest training rows', () => {
    const x = Float64Array.from([0, 1, 2, 3, 10, 11, 12]);
    const y = Float64Array.from([5, 6, 7, 100, 1, 2, 3]);
    const [k1, k3] = knnMedians([x], y, Int32Array.from([0, 1, 2, 4, 5, 6]), Int32Array.from([3]), [1, 3]);
    // Row 3 (x = 3): nearest is x = 2 (y 7); the three nearest are x = 2, 1, 0 (y 7, 6, 5).
    expect(k1?.[0]).toBe(7);
    expect(k3?.[0]).toBe(6);
  });
});

describe('cross-validated bound', () => {
  it('finds the gain a step in one input gives', () => {
    const t = stage(800, (x, noise) => ((x.a as number) > 0.5 ? 1 : -1) + 0.5 * noise);
    const cv = crossValidate(t, 'random');
    const maeMedian = t.rows.reduce((s, r) => s + Math.abs(r.median20 - r.seconds), 0) / t.rows.length;
    expect(cv.maeBoost / maeMedian).toBeLessThan(0.3);
    expect(cv.features[0]?.name).toBe('a');
  });

  it('gains nothing beyond the median on noise', () => {
    const t = stage(800, (_, noise) => noise);
    const cv = crossValidate(t, 'random');
    const maeMedian = t.rows.reduce((s, r) => s + Math.abs(r.median20 - r.seconds), 0) / t.rows.length;
    // Picking the round count and k on the scored folds is optimistic, but only slightly on noise.
    expect(cv.mae / maeMedian).toBeGreaterThan(0.97);
    expect(cv.mae / maeMedian).toBeLessThan(1.03);
  });

  it('splits rows into folds: random and balanced, or contiguous blocks', () => {
    const blocks = foldsOf(10, 5, 'blocks');
    expect([...blocks]).toEqual([0, 0, 1, 1, 2, 2, 3, 3, 4, 4]);
    const random = foldsOf(1000, 5, 'random');
    for (let k = 0; k < 5; k++) expect(random.filter((f) => f === k).length).toBe(200);
    expect([...random.slice(0, 10)]).not.toEqual([0, 1, 2, 3, 4, 0, 1, 2, 3, 4]);
  });
});

describe('bound inputs: only what is known when a run starts', () => {
  const runsOf = (seconds: readonly number[]): CiRun[] =>
    seconds.map((s, i) => ({
      dataset: 'travistorrent',
      pipeline: 'p',
      stage: 'build',
      buildId: String(i),
      startMs: i * 3_600_000,
      agentSeconds: s,
      changeKey: `pr:${i % 7}`,
      lane: i % 3 === 0 ? 'push:master' : 'pr:master',
      changeScore: i % 5,
      jobs: 1 + (i % 2),
      startFields: { gh_team_size: 3 + (i % 4) },
    }));

  it("never reads a run's own duration or any later run's", () => {
    // Prepare: the same history, then a run whose duration (and the next ones') differ.
    const base = Array.from({ length: 60 }, (_, i) => 100 + ((i * 37) % 50));
    const changed = base.map((s, i) => (i >= 40 ? s * 10 : s));
    // Act
    const [a] = boundTables(runsOf(base), base);
    const [b] = boundTables(runsOf(changed), base);
    // Assess: rows up to run 40 are the same inputs; run 41 sees run 40.
    const upTo = (t: StageTable | undefined, run: number) =>
      t?.rows.filter((r) => r.run <= run).map((r) => r.features);
    expect(upTo(b, 40)).toEqual(upTo(a, 40));
    expect(b?.rows.find((r) => r.run === 41)?.features).not.toEqual(
      a?.rows.find((r) => r.run === 41)?.features,
    );
    expect(a?.rows[0]?.run).toBe(20);
  });

  it('reads start-time columns only, whatever the outcome columns hold', () => {
    const travis = (status: string, tests: string, log: string) =>
      [
        'gh_project_name,tr_build_id,gh_build_started_at,gh_pushed_at,gh_is_pr,git_branch,tr_status,tr_duration,tr_num_jobs,gh_team_size,git_diff_src_churn,tr_log_num_tests_run,tr_log_num_tests_failed,tr_log_testduration,tr_log_buildduration',
        `o/p,1,2015-01-01 10:00:00,2015-01-01 09:59:00,False,master,${status},600.0,3,7,120,${tests},${tests},${log},${log}`,
      ].join('\n');
    const [passed] = travisRuns(travis('passed', '900', '500'));
    const [failed] = travisRuns(travis('failed', '3', '20'));
    expect(failed?.startFields).toEqual(passed?.startFields);
    expect(passed?.startFields).toEqual({
      gh_is_pr: 0,
      tr_num_jobs: 3,
      gh_team_size: 7,
      git_diff_src_churn: 120,
      push_to_start_s: 60,
    });
    const allowed = new Set<string>([...TRAVIS_START_COLUMNS, 'push_to_start_s', 'first_commit_to_start_s']);
    for (const k of Object.keys(passed?.startFields ?? {})) expect(allowed.has(k)).toBe(true);

    const lrts = (result: string, counts: string) =>
      [
        'project,pr_name,pr_base_branch,build_id,stage_id,build_timestamp,build_result,build_duration,stage_duration_by_method_sum,ts_duration,passcount,failcount,num_fail_method,num_changed_files,num_changed_line,lrts_split',
        `hive,PR-7,master,2,single,1617292180,${result},${counts},5384.4,${counts},${counts},${counts},${counts},3,40,training`,
      ].join('\n');
    const [ok] = lrtsRuns(lrts('SUCCESS', '10'));
    const [bad] = lrtsRuns(lrts('FAILURE', '9999'));
    expect(bad?.startFields).toEqual(ok?.startFields);
    expect(ok?.startFields).toEqual({ build_id: 2, num_changed_files: 3, num_changed_line: 40 });
    for (const k of Object.keys(ok?.startFields ?? {}))
      expect((LRTS_START_COLUMNS as readonly string[]).includes(k)).toBe(true);
  });

  it('keeps the median helper exact', () => {
    expect(median([3, 1, 2])).toBe(2);
    expect(median([4, 1, 2, 3])).toBe(2.5);
    expect(median([])).toBe(0);
    // Against a sort, on draws with many ties.
    const random = rng(9);
    for (let n = 1; n < 60; n++) {
      const v = Array.from({ length: n }, () => Math.floor(random() * 7));
      const s = [...v].sort((a, b) => a - b);
      const expected =
        n % 2 ? (s[(n - 1) / 2] as number) : ((s[n / 2 - 1] as number) + (s[n / 2] as number)) / 2;
      expect(median(v)).toBe(expected);
    }
  });
});
