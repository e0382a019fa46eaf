import * as path from 'node:path';

/**
 * The repository root, from this file's location rather than the working directory, so that
 * `cdk synth` from any folder and the jest suites resolve handler entries and ASL files alike.
 */
export const REPO_ROOT = path.resolve(__dirname, '..');

/** Absolute path of a repository-relative file (`functions/x/index.ts`, `statemachines/y.asl.json`). */
export function repoPath(relative: string): string {
  return path.isAbsolute(relative) ? relative : path.join(REPO_ROOT, relative);
}
