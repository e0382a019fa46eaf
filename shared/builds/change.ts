/**
 * The change score: how big a change is, by kind of file, as one number with its components.
 * Test and dependency changes weigh more than docs because they move build and test time more
 * (new tests run, a new lockfile invalidates caches); the weights are stated here, not fitted, so
 * the score means the same thing on every repository.
 */

export type FileKind = 'source' | 'test' | 'docs' | 'dependency' | 'other';
export const FILE_KINDS: readonly FileKind[] = ['source', 'test', 'docs', 'dependency', 'other'];

export interface KindCount {
  files: number;
  lines: number;
}

export interface ChangeComponents {
  byKind: Record<FileKind, KindCount>;
  /** Sum over TS/JS files of (cyclomatic complexity after − before); absent when none was measured. */
  complexityDelta?: number;
}

export interface ChangeScore extends ChangeComponents {
  /** log2-scaled weighted size: 0 for no change, about +1 per doubling of weighted lines. */
  score: number;
  /** Each term of the score, so a reader can see what made it large. */
  terms: Record<string, number>;
}

/** Weight of a changed line per kind (a test line is a line that will also run). */
export const LINE_WEIGHTS: Readonly<Record<FileKind, number>> = {
  source: 1,
  test: 1.5,
  docs: 0.1,
  dependency: 3,
  other: 0.5,
};
/** A touched file costs as much as this many lines (cache invalidation, compile units). */
export const FILE_WEIGHT = 10;
/** One unit of added cyclomatic complexity costs as much as this many lines (more paths to test). */
export const COMPLEXITY_WEIGHT = 5;

const DEPENDENCY_FILES = new Set([
  'package.json',
  'package-lock.json',
  'npm-shrinkwrap.json',
  'yarn.lock',
  'pnpm-lock.yaml',
  'bun.lockb',
  'go.mod',
  'go.sum',
  'cargo.toml',
  'cargo.lock',
  'gemfile',
  'gemfile.lock',
  'requirements.txt',
  'poetry.lock',
  'pipfile',
  'pipfile.lock',
  'pyproject.toml',
  'uv.lock',
  'pom.xml',
  'build.gradle',
  'build.gradle.kts',
  'settings.gradle',
  'gradle.properties',
  'composer.json',
  'composer.lock',
]);
const DOC_EXT = /\.(md|markdown|rst|txt|adoc|asciidoc)$/i;
const SOURCE_EXT =
  /\.(ts|tsx|mts|cts|js|jsx|mjs|cjs|java|kt|scala|go|rs|py|rb|c|cc|cpp|h|hpp|cs|php|swift|m|sh|sql)$/i;
const TEST_PATH =
  /(^|\/)(tests?|__tests__|spec|specs|test-?data)\/|[._-](test|spec)\.[a-z]+$|Tests?\.[a-z]+$/i;
const DOC_PATH = /(^|\/)(docs?|documentation)\//i;

/** What kind of file a repository path is (by name and folder, as a reviewer would judge it). */
export function classifyFile(path: string): FileKind {
  const base = (path.split('/').pop() ?? path).toLowerCase();
  if (DEPENDENCY_FILES.has(base) || base.endsWith('.gemspec')) return 'dependency';
  if (TEST_PATH.test(path)) return 'test';
  if (DOC_EXT.test(base) || DOC_PATH.test(path) || base === 'license' || base === 'notice') return 'docs';
  if (SOURCE_EXT.test(base)) return 'source';
  return 'other';
}

/** TS/JS files get a complexity delta. */
export function isScriptFile(path: string): boolean {
  return /\.(ts|tsx|mts|cts|js|jsx|mjs|cjs)$/i.test(path);
}

export function emptyComponents(): ChangeComponents {
  const byKind = {} as Record<FileKind, KindCount>;
  for (const kind of FILE_KINDS) byKind[kind] = { files: 0, lines: 0 };
  return { byKind };
}

/** One number from the components: log2(1 + weighted lines + weighted files + complexity). */
export function changeScore(components: ChangeComponents): ChangeScore {
  const terms: Record<string, number> = {};
  let weighted = 0;
  for (const kind of FILE_KINDS) {
    const { files, lines } = components.byKind[kind];
    const term = LINE_WEIGHTS[kind] * lines + FILE_WEIGHT * files * (kind === 'docs' ? 0.1 : 1);
    terms[kind] = term;
    weighted += term;
  }
  // Only added complexity raises the score; a simplification is not "less than no change".
  const complexity = Math.max(0, components.complexityDelta ?? 0) * COMPLEXITY_WEIGHT;
  if (components.complexityDelta !== undefined) terms.complexity = complexity;
  weighted += complexity;
  return { ...components, score: Math.log2(1 + weighted), terms };
}

/**
 * The same score from the counts CI datasets keep (lines of source and test churn, files
 * touched): files with no known kind count as source.
 */
export function changeScoreFromCounts(c: {
  sourceLines?: number;
  testLines?: number;
  sourceFiles?: number;
  docFiles?: number;
  otherFiles?: number;
  files?: number;
}): ChangeScore {
  const comp = emptyComponents();
  const known = (c.sourceFiles ?? 0) + (c.docFiles ?? 0) + (c.otherFiles ?? 0);
  comp.byKind.source = {
    lines: nz(c.sourceLines),
    files: nz(c.sourceFiles) + Math.max(0, nz(c.files) - known),
  };
  comp.byKind.test = { lines: nz(c.testLines), files: 0 };
  comp.byKind.docs = { lines: 0, files: nz(c.docFiles) };
  comp.byKind.other = { lines: 0, files: nz(c.otherFiles) };
  return changeScore(comp);
}

function nz(x: number | undefined): number {
  return x !== undefined && Number.isFinite(x) && x > 0 ? x : 0;
}
