import { mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, sep } from 'node:path';
import { z } from 'zod';
import {
  type AnomalyOptions,
  DEFAULT_ANOMALY_OPTIONS,
  initialAnomalyState,
  observeSeries,
} from '../shared/anomaly';
import { ValidationError } from '../shared/errors';
import {
  bestThreshold,
  corpusScore,
  type FileScore,
  NAB_PROFILE_NAMES,
  NAB_PROFILES,
  type NabProfile,
  normalise,
  nullAndPerfect,
  prepareFile,
  type ScoredFile,
  scoreFile,
  splitHalves,
} from './nab-scorer';

/** A NAB data file: `timestamp,value` rows. */
export interface NabSeries {
  /** Path relative to the data folder with `/` separators, as NAB's label keys are. */
  name: string;
  timestamps: number[];
  stamps: string[];
  values: number[];
}

const STAMP = /^(\d{4}-\d\d-\d\d)[ T](\d\d:\d\d:\d\d)(\.\d+)?$/;

/** NAB timestamps carry no zone; read them as UTC so windows and rows compare exactly. */
export function parseNabTime(text: string, where: string): number {
  const m = STAMP.exec(text.trim());
  const ms = m ? Date.parse(`${m[1]}T${m[2]}${(m[3] ?? '').slice(0, 4)}Z`) : Number.NaN;
  if (!Number.isFinite(ms))
    throw new ValidationError(`${where}: timestamp ${JSON.stringify(text)} is not YYYY-MM-DD HH:MM:SS`);
  return ms;
}

export function listNabFiles(dir: string): string[] {
  const out: string[] = [];
  const walk = (d: string): void => {
    for (const entry of readdirSync(d).sort()) {
      const p = join(d, entry);
      if (statSync(p).isDirectory()) walk(p);
      else if (entry.endsWith('.csv')) out.push(p);
    }
  };
  walk(dir);
  return out;
}

export function loadNabSeries(dataDir: string, file: string): NabSeries {
  const name = relative(dataDir, file).split(sep).join('/');
  const lines = readFileSync(file, 'utf8')
    .split(/\r?\n/)
    .filter((l) => l.trim() !== '');
  const series: NabSeries = { name, timestamps: [], stamps: [], values: [] };
  lines.slice(1).forEach((line, i) => {
    const [stamp = '', value = ''] = line.split(',');
    const v = Number(value);
    if (!Number.isFinite(v))
      throw new ValidationError(`${name} row ${i + 2}: value ${JSON.stringify(value)} is not a number`);
    series.timestamps.push(parseNabTime(stamp, `${name} row ${i + 2}`));
    series.stamps.push(stamp.trim());
    series.values.push(v);
  });
  return series;
}

const WindowsFile = z.record(z.string(), z.array(z.tuple([z.string(), z.string()])));

export function parseWindows(raw: unknown, flag: string): Map<string, [number, number][]> {
  const parsed = WindowsFile.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new ValidationError(
      `${flag}: ${issue?.path.join('.') || '(root)'}: ${issue?.message ?? 'invalid'} (expected {file: [[start, end], ...]})`,
    );
  }
  const out = new Map<string, [number, number][]>();
  for (const [file, windows] of Object.entries(parsed.data))
    out.set(
      file,
      windows.map(([s, e]) => [parseNabTime(s, `${flag} ${file}`), parseNabTime(e, `${flag} ${file}`)]),
    );
  return out;
}

export type ProfileScores = Record<NabProfile, number>;

export interface AnomalyBenchResult {
  files: { name: string; rows: number; windows: number; scores: Record<NabProfile, FileScore> }[];
  thresholds: ProfileScores;
  summary: ProfileScores & {
    rows_per_s: number;
    rows: number;
    files: number;
    /** The odd-numbered and even-numbered files (in path order), each at its own threshold. */
    halves: { odd: ProfileScores; even: ProfileScores };
    scoreboard: Record<string, ProfileScores>;
  };
}

export interface AnomalyBenchInput {
  series: readonly NabSeries[];
  windows: ReadonlyMap<string, [number, number][]>;
  /** Per-file raw scores of published detectors: detector → profile → file → score. */
  scoreboard: ReadonlyMap<string, Partial<Record<NabProfile, ReadonlyMap<string, number>>>>;
  options?: AnomalyOptions;
  onProgress?: (done: number, total: number, name: string) => void;
}

/** Runs the deployed detector causally over every file, then scores it with NAB's rules. */
export function runAnomalyBench(input: AnomalyBenchInput): {
  result: AnomalyBenchResult;
  anomalyScores: Map<string, number[]>;
} {
  const options = input.options ?? DEFAULT_ANOMALY_OPTIONS;
  const anomalyScores = new Map<string, number[]>();
  let rows = 0;
  let detectMs = 0;
  input.series.forEach((s, i) => {
    input.onProgress?.(i, input.series.length, s.name);
    const started = performance.now();
    const { rows: out } = observeSeries(initialAnomalyState(), s.values, options);
    detectMs += performance.now() - started;
    rows += s.values.length;
    anomalyScores.set(
      s.name,
      out.map((r) => r.score ?? 0),
    );
  });
  input.onProgress?.(input.series.length, input.series.length, '');
  const prepared: ScoredFile[] = input.series.map((s) =>
    prepareFile(s.name, s.timestamps, anomalyScores.get(s.name) ?? [], input.windows.get(s.name) ?? []),
  );
  const thresholds = {} as ProfileScores;
  const summary = {} as ProfileScores;
  const perFile = prepared.map((f) => ({
    name: f.name,
    rows: (anomalyScores.get(f.name) ?? []).length,
    windows: f.windows,
    scores: {} as Record<NabProfile, FileScore>,
  }));
  for (const profile of NAB_PROFILE_NAMES) {
    const cost = NAB_PROFILES[profile];
    const best = bestThreshold(prepared, cost);
    const { nullScore, perfect } = nullAndPerfect(prepared, cost);
    thresholds[profile] = best.threshold;
    summary[profile] = normalise(best.raw, nullScore, perfect);
    prepared.forEach((f, i) => {
      (perFile[i] as (typeof perFile)[number]).scores[profile] = scoreFile(f, best.threshold, cost);
    });
  }
  const { odd, even } = splitHalves(prepared);
  const halfScores = (files: readonly ScoredFile[]): ProfileScores => {
    const out = {} as ProfileScores;
    for (const profile of NAB_PROFILE_NAMES) out[profile] = corpusScore(files, NAB_PROFILES[profile]).score;
    return out;
  };
  const scoreboard: Record<string, ProfileScores> = {};
  const names = input.series.map((s) => s.name);
  for (const [detector, byProfile] of input.scoreboard) {
    const scores = {} as ProfileScores;
    let complete = true;
    for (const profile of NAB_PROFILE_NAMES) {
      const perFileRaw = byProfile[profile];
      const { nullScore, perfect } = nullAndPerfect(prepared, NAB_PROFILES[profile]);
      if (!perFileRaw || names.some((n) => !perFileRaw.has(n))) {
        complete = false;
        break;
      }
      const raw = names.reduce((acc, n) => acc + (perFileRaw.get(n) ?? 0), 0);
      scores[profile] = normalise(raw, nullScore, perfect);
    }
    // A detector scored on only some of the files is not comparable; leave it out.
    if (complete) scoreboard[detector] = scores;
  }
  return {
    result: {
      files: perFile,
      thresholds,
      summary: {
        ...summary,
        rows_per_s: detectMs > 0 ? rows / (detectMs / 1000) : 0,
        rows,
        files: input.series.length,
        halves: { odd: halfScores(odd), even: halfScores(even) },
        scoreboard,
      },
    },
    anomalyScores,
  };
}

const SCOREBOARD_FILE = /^(.+)_(standard|reward_low_FP_rate|reward_low_FN_rate)_scores\.csv$/;

/** NAB's published per-file scores (`<detector>_<profile>_scores.csv`); the Totals row is ignored. */
export function loadScoreboard(dir: string): Map<string, Partial<Record<NabProfile, Map<string, number>>>> {
  const out = new Map<string, Partial<Record<NabProfile, Map<string, number>>>>();
  for (const entry of readdirSync(dir).sort()) {
    const m = SCOREBOARD_FILE.exec(entry);
    if (!m) continue;
    const detector = m[1] as string;
    const profile = m[2] as NabProfile;
    const lines = readFileSync(join(dir, entry), 'utf8')
      .split(/\r?\n/)
      .filter((l) => l.trim() !== '');
    const header = (lines[0] ?? '').split(',');
    const fileCol = header.indexOf('File');
    const scoreCol = header.indexOf('Score');
    if (fileCol < 0 || scoreCol < 0) continue;
    const scores = new Map<string, number>();
    for (const line of lines.slice(1)) {
      const cols = line.split(',');
      const file = cols[fileCol] ?? '';
      const score = Number(cols[scoreCol]);
      if (file !== '' && Number.isFinite(score)) scores.set(file, score);
    }
    const entryFor = out.get(detector) ?? {};
    entryFor[profile] = scores;
    out.set(detector, entryFor);
  }
  return out;
}

/** NAB-format result files, `<dir>/<category>/shadowscale_<name>.csv`, as NAB's own scorer reads. */
export function writeNabResults(
  dir: string,
  series: readonly NabSeries[],
  anomalyScores: ReadonlyMap<string, number[]>,
  windows: ReadonlyMap<string, [number, number][]>,
): void {
  for (const s of series) {
    const parts = s.name.split('/');
    const base = parts.pop() ?? s.name;
    const path = join(dir, ...parts, `shadowscale_${base}`);
    mkdirSync(dirname(path), { recursive: true });
    const ws = windows.get(s.name) ?? [];
    const scores = anomalyScores.get(s.name) ?? [];
    const lines = ['timestamp,value,anomaly_score,label'];
    s.values.forEach((v, i) => {
      const t = s.timestamps[i] as number;
      const label = ws.some(([a, b]) => t >= a && t <= b) ? 1 : 0;
      lines.push(`${s.stamps[i]},${v},${scores[i] ?? 0},${label}`);
    });
    writeFileSync(path, `${lines.join('\n')}\n`);
  }
}

export function formatAnomalyReport(result: AnomalyBenchResult): string {
  const s = result.summary;
  const fmt = (x: number): string => x.toFixed(1).padStart(8);
  const fmtHalf = (p: ProfileScores): string =>
    NAB_PROFILE_NAMES.map((profile) => p[profile].toFixed(1)).join(' / ');
  const rows: [string, ProfileScores][] = [['shadowscale', s], ...Object.entries(s.scoreboard)];
  rows.sort((a, b) => b[1].standard - a[1].standard);
  const lines = [
    `NAB scores on ${s.files} files (${s.rows} rows), normalised: null detector 0, perfect 100`,
    `${'detector'.padEnd(20)}${'standard'.padStart(8)}  ${'low FP'.padStart(8)}  ${'low FN'.padStart(8)}`,
    ...rows.map(
      ([name, p]) =>
        `${(name === 'shadowscale' ? '* shadowscale' : name).padEnd(20)}${fmt(p.standard)}  ${fmt(p.reward_low_FP_rate)}  ${fmt(p.reward_low_FN_rate)}`,
    ),
    `halves, each at its own threshold: odd files ${fmtHalf(s.halves.odd)}; even files ${fmtHalf(s.halves.even)}`,
    `thresholds: standard ${result.thresholds.standard.toFixed(6)}, low FP ${result.thresholds.reward_low_FP_rate.toFixed(6)}, low FN ${result.thresholds.reward_low_FN_rate.toFixed(6)}`,
    `detector speed: ${Math.round(s.rows_per_s).toLocaleString('en-US')} rows/s on one core (${s.rows} rows)`,
  ];
  return `${lines.join('\n')}\n`;
}
