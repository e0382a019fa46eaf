import { execFileSync } from 'node:child_process';
import {
  type ChangeScore,
  changeScore,
  classifyFile,
  emptyComponents,
  isScriptFile,
} from '../../shared/builds/change';
import { cyclomaticComplexity } from '../../shared/builds/complexity';
import { ValidationError } from '../../shared/errors';

/**
 * The change score of a git range, read with the git CLI: `git diff --numstat` for lines and
 * files per kind, and the TS/JS files' contents at both revisions for the complexity delta.
 * (I/O, so it lives with the CLI rather than in the pure core.)
 */

export interface FileChange {
  path: string;
  kind: ReturnType<typeof classifyFile>;
  added: number;
  deleted: number;
  /** Complexity after − before, for TS/JS files. */
  complexityDelta?: number;
}

export interface GitChangeScore extends ChangeScore {
  from: string;
  to: string;
  files: FileChange[];
}

function git(repo: string, args: string[]): string {
  return execFileSync('git', ['-C', repo, ...args], {
    encoding: 'utf8',
    maxBuffer: 256 * 1024 * 1024,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
}

export function resolveRevision(repo: string, rev: string, flag: string): string {
  try {
    return git(repo, ['rev-parse', '--verify', '--quiet', `${rev}^{commit}`]).trim();
  } catch (error) {
    throw new ValidationError(
      `${flag} ${JSON.stringify(rev)}: not a commit in ${repo}`,
      [{ path: flag, message: 'not a commit', received: rev }],
      { cause: error },
    );
  }
}

function contentAt(repo: string, rev: string, path: string): string | undefined {
  try {
    return git(repo, ['show', `${rev}:${path}`]);
  } catch {
    return undefined; // the file does not exist at that revision (added or deleted)
  }
}

export function gitChangeScore(repo: string, fromRev: string, toRev: string): GitChangeScore {
  try {
    git(repo, ['rev-parse', '--git-dir']);
  } catch (error) {
    throw new ValidationError(
      `--repo ${JSON.stringify(repo)}: not a git repository`,
      [{ path: '--repo', message: 'not a git repository', received: repo }],
      { cause: error },
    );
  }
  const from = resolveRevision(repo, fromRev, '--from');
  const to = resolveRevision(repo, toRev, '--to');
  const out = git(repo, ['diff', '--numstat', '--no-renames', '-z', from, to]);
  const files: FileChange[] = [];
  for (const record of out.split('\0')) {
    if (record.trim() === '') continue;
    const [a, d, ...rest] = record.split('\t');
    const path = rest.join('\t');
    if (!path) continue;
    // Binary files show "-": they count as a touched file with no lines.
    const added = a === '-' ? 0 : Number(a);
    const deleted = d === '-' ? 0 : Number(d);
    const change: FileChange = { path, kind: classifyFile(path), added, deleted };
    if (isScriptFile(path)) {
      const before = contentAt(repo, from, path);
      const after = contentAt(repo, to, path);
      change.complexityDelta =
        (after === undefined ? 0 : cyclomaticComplexity(after, path)) -
        (before === undefined ? 0 : cyclomaticComplexity(before, path));
    }
    files.push(change);
  }
  const comp = emptyComponents();
  let complexity: number | undefined;
  for (const f of files) {
    const k = comp.byKind[f.kind];
    k.files++;
    k.lines += f.added + f.deleted;
    if (f.complexityDelta !== undefined) complexity = (complexity ?? 0) + f.complexityDelta;
  }
  if (complexity !== undefined) comp.complexityDelta = complexity;
  return { ...changeScore(comp), from, to, files };
}
