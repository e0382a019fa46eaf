import { readFileSync } from 'node:fs';
import { ValidationError } from '../shared/errors';
import { Workload } from '../shared/schemas/workload';
import { parseOrThrow } from '../shared/validation';
import { repoPath } from './paths';

/**
 * The workload definitions named by `shadowscale:workloads` (paths relative to the repository
 * root), validated as `shadowscale validate` does: a bad file stops synthesis naming the file and
 * the field.
 */
export function loadWorkloads(paths: readonly string[]): Workload[] {
  const seen = new Map<string, string>();
  return paths.map((file) => {
    let raw: unknown;
    try {
      raw = JSON.parse(readFileSync(repoPath(file), 'utf8'));
    } catch (error) {
      throw new ValidationError(`shadowscale:workloads: ${file}: ${(error as Error).message}`, [], {
        cause: error,
      });
    }
    const workload = parseOrThrow(Workload, raw, `shadowscale:workloads: ${file}`);
    const other = seen.get(workload.workloadId);
    if (other)
      throw new ValidationError(
        `shadowscale:workloads: ${file} and ${other} both define workload ${workload.workloadId}`,
      );
    seen.set(workload.workloadId, file);
    return workload;
  });
}
