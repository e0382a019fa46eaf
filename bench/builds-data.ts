import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { changeScoreFromCounts } from '../shared/builds/change';
import { ValidationError } from '../shared/errors';

/**
 * Loading the two CI datasets of `../shared/ci` (see its SOURCES.md) into one shape: one row per
 * stage run, in time order. Both record durations only, no CPU or memory: a run's "work" is its
 * recorded duration read as agent-seconds on the reference agent (TravisTorrent's `tr_duration`
 * is job time summed over the build's jobs; LRTS's `stage_duration_by_method_sum` is test time
 * summed over the stage's test methods).
 */
export interface CiRun {
  dataset: 'travistorrent' | 'lrts';
  /** Project (one pipeline per project). */
  pipeline: string;
  stage: string;
  /** Build id within the pipeline; stages of one build share it (one pipeline run). */
  buildId: string;
  startMs: number;
  agentSeconds: number;
  jobs?: number;
  /** Branch (TravisTorrent) or pull request (LRTS) being built. */
  changeKey?: string;
  /** Trigger and target branch (`pr:<base>` or `push:<branch>`), known at start. */
  lane?: string;
  changeScore: number;
  /** Parallelisable share of the run from its log phases, when the dataset has them. */
  parallelShare?: number;
  /**
   * The dataset's other numeric fields known when the run starts, by column name (only the
   * columns of `TRAVIS_START_COLUMNS` / `LRTS_START_COLUMNS`, plus `push_to_start_s` and
   * `first_commit_to_start_s` for TravisTorrent); a field missing or empty in the row is absent.
   * The predictor does not read them; `bench builds --bound` does.
   */
  startFields?: Readonly<Record<string, number>>;
}

/**
 * TravisTorrent columns known when a build starts (the change, its author and the repository
 * before the build); booleans read as 0/1. Never an outcome: not `tr_status`, `tr_duration`, the
 * `tr_log_*` fields (tests run or failed, phase durations).
 */
export const TRAVIS_START_COLUMNS = [
  'gh_is_pr',
  'tr_num_jobs',
  'gh_num_commits_in_push',
  'git_num_all_built_commits',
  'git_diff_src_churn',
  'git_diff_test_churn',
  'gh_diff_files_added',
  'gh_diff_files_deleted',
  'gh_diff_files_modified',
  'gh_diff_tests_added',
  'gh_diff_tests_deleted',
  'gh_diff_src_files',
  'gh_diff_doc_files',
  'gh_diff_other_files',
  'gh_num_commits_on_files_touched',
  'gh_sloc',
  'gh_team_size',
  'gh_by_core_team_member',
] as const;

/**
 * LRTS columns known when a stage starts: the pull request's diff and its rebuild number
 * (`build_id` counts the builds of one pull request). Never an outcome: not `build_result`,
 * `build_duration`, any `*_duration*`, test counts or `lrts_split`.
 */
export const LRTS_START_COLUMNS = [
  'build_id',
  'num_changed_files',
  'num_addition',
  'num_deletion',
  'num_changed_line',
] as const;

function startFieldsOf(r: Record<string, string>, columns: readonly string[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const c of columns) {
    const v = r[c];
    const n = v === 'True' ? 1 : v === 'False' ? 0 : num(v);
    if (n !== undefined) out[c] = n;
  }
  return out;
}

export const TRAVIS_FILE = 'travistorrent_builds.csv';
export const LRTS_FILE = 'lrts_jenkins_stage_runs.csv';

/** RFC 4180 CSV (quoted fields, doubled quotes) to rows of strings keyed by the header. */
export function parseCsv(text: string): Record<string, string>[] {
  const rows = text.includes('"')
    ? quotedRows(text)
    : text
        .split(/\r?\n/)
        .filter((l) => l !== '')
        .map((l) => l.split(','));
  const [header, ...body] = rows;
  if (!header) return [];
  return body.map((r) => Object.fromEntries(header.map((h, i) => [h, r[i] ?? ''])));
}

function quotedRows(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let field = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i] as string;
    if (quoted) {
      if (c === '"') {
        if (text[i + 1] === '"') {
          field += '"';
          i++;
        } else quoted = false;
      } else field += c;
    } else if (c === '"') quoted = true;
    else if (c === ',') {
      row.push(field);
      field = '';
    } else if (c === '\n' || c === '\r') {
      if (c === '\r' && text[i + 1] === '\n') i++;
      row.push(field);
      field = '';
      if (row.length > 1 || row[0] !== '') rows.push(row);
      row = [];
    } else field += c;
  }
  if (field !== '' || row.length > 0) {
    row.push(field);
    rows.push(row);
  }
  return rows;
}

function num(value: string | undefined): number | undefined {
  if (value === undefined || value.trim() === '') return undefined;
  const n = Number(value);
  return Number.isFinite(n) ? n : undefined;
}

function utcMs(text: string): number {
  // TravisTorrent writes "YYYY-MM-DD HH:MM:SS" in UTC.
  return Date.parse(`${text.replace(' ', 'T')}${text.endsWith('Z') ? '' : 'Z'}`);
}

export function travisRuns(text: string): CiRun[] {
  const out: CiRun[] = [];
  for (const r of parseCsv(text)) {
    const seconds = num(r.tr_duration);
    const startMs = utcMs(r.gh_build_started_at ?? '');
    if (seconds === undefined || !(seconds > 0) || !Number.isFinite(startMs)) continue;
    const setup = num(r.tr_log_setup_time);
    const test = num(r.tr_log_testduration);
    const build = num(r.tr_log_buildduration);
    const fields = startFieldsOf(r, TRAVIS_START_COLUMNS);
    const pushedMs = utcMs(r.gh_pushed_at ?? '');
    const firstCommitMs = utcMs(r.gh_first_commit_created_at ?? '');
    if (Number.isFinite(pushedMs)) fields.push_to_start_s = (startMs - pushedMs) / 1000;
    if (Number.isFinite(firstCommitMs)) fields.first_commit_to_start_s = (startMs - firstCommitMs) / 1000;
    out.push({
      dataset: 'travistorrent',
      pipeline: r.gh_project_name ?? 'unknown',
      stage: 'build',
      buildId: r.tr_build_id ?? String(out.length),
      startMs,
      agentSeconds: seconds,
      jobs: num(r.tr_num_jobs),
      changeKey:
        r.gh_is_pr === 'True' && r.gh_pull_req_num ? `pr:${r.gh_pull_req_num}` : `branch:${r.git_branch}`,
      // TravisTorrent's git_branch of a pull-request build is the branch it merges into.
      lane: `${r.gh_is_pr === 'True' ? 'pr' : 'push'}:${r.git_branch}`,
      changeScore: changeScoreFromCounts({
        sourceLines: num(r.git_diff_src_churn),
        testLines: num(r.git_diff_test_churn),
        sourceFiles: num(r.gh_diff_src_files),
        docFiles: num(r.gh_diff_doc_files),
        otherFiles: num(r.gh_diff_other_files),
      }).score,
      // Test time as a share of the logged build time (which includes it): the part that spreads over cores.
      ...(build !== undefined && build > 0 && test !== undefined && setup !== undefined
        ? { parallelShare: Math.min(1, test / build) }
        : {}),
      startFields: fields,
    });
  }
  return out;
}

export function lrtsRuns(text: string): CiRun[] {
  const out: CiRun[] = [];
  for (const r of parseCsv(text)) {
    const seconds = num(r.stage_duration_by_method_sum);
    const t = num(r.build_timestamp);
    if (seconds === undefined || !(seconds > 0) || t === undefined) continue;
    out.push({
      dataset: 'lrts',
      pipeline: r.project ?? 'unknown',
      stage: r.stage_id ?? 'single',
      buildId: `${r.pr_name}#${r.build_id}`,
      startMs: t * 1000,
      agentSeconds: seconds,
      changeKey: r.pr_name,
      // Every LRTS run is a pull-request build.
      lane: `pr:${r.pr_base_branch}`,
      changeScore: changeScoreFromCounts({
        sourceLines: num(r.num_changed_line),
        files: num(r.num_changed_files),
      }).score,
      startFields: startFieldsOf(r, LRTS_START_COLUMNS),
    });
  }
  return out;
}

/** Both datasets from a folder, in time order (ties by pipeline, build, stage for determinism). */
export function loadCiRuns(dir: string): CiRun[] {
  const read = (file: string): string => {
    try {
      return readFileSync(join(dir, file), 'utf8');
    } catch (error) {
      throw new ValidationError(
        `--data ${JSON.stringify(dir)}: cannot read ${file}`,
        [{ path: '--data', message: `missing ${file}`, received: dir }],
        { cause: error },
      );
    }
  };
  const runs = [...travisRuns(read(TRAVIS_FILE)), ...lrtsRuns(read(LRTS_FILE))];
  return runs.sort(
    (a, b) =>
      a.startMs - b.startMs ||
      a.pipeline.localeCompare(b.pipeline) ||
      a.buildId.localeCompare(b.buildId) ||
      a.stage.localeCompare(b.stage),
  );
}
