import type { z } from 'zod';
import { ValidationError, type ValidationIssue } from './errors';

const MAX_SHOWN = 60;

/** Short, single-line rendering of a received value for error messages. */
export function showValue(value: unknown): string {
  if (value === undefined) return 'undefined';
  let text: string;
  try {
    text = typeof value === 'string' ? JSON.stringify(value) : (JSON.stringify(value) ?? String(value));
  } catch {
    text = String(value);
  }
  return text.length > MAX_SHOWN ? `${text.slice(0, MAX_SHOWN - 1)}…` : text;
}

/** `a.b[2].c` from a zod path. */
export function formatPath(path: readonly PropertyKey[]): string {
  let out = '';
  for (const key of path) {
    if (typeof key === 'number') out += `[${key}]`;
    else out += out === '' ? String(key) : `.${String(key)}`;
  }
  return out === '' ? '(root)' : out;
}

function valueAt(root: unknown, path: readonly PropertyKey[]): unknown {
  let current: unknown = root;
  for (const key of path) {
    if (current === null || typeof current !== 'object') return undefined;
    current = (current as Record<PropertyKey, unknown>)[key];
  }
  return current;
}

export function issuesOf(error: z.ZodError, input: unknown): ValidationIssue[] {
  return issuesFromList(error.issues, input);
}

/**
 * Our issues from zod's (a ZodError's, or a Standard Schema result's, which zod fills with the
 * same objects). A union that matched no branch is reported by the branch that came closest
 * (fewest issues), so "an event or a request" names the bad field instead of "Invalid input".
 */
export function issuesFromList(
  issues: readonly z.core.$ZodIssue[],
  input: unknown,
  prefix: readonly PropertyKey[] = [],
): ValidationIssue[] {
  return issues.flatMap((issue): ValidationIssue[] => {
    const at = [...prefix, ...issue.path];
    if (issue.code === 'invalid_union' && issue.errors.length > 0) {
      const closest = issue.errors.reduce((best, branch) => (branch.length < best.length ? branch : best));
      if (closest.length > 0) return issuesFromList(closest, input, at);
    }
    // Unknown keys are reported on the parent object; point at the key itself.
    if (issue.code === 'unrecognized_keys') {
      const key = issue.keys[0] ?? '';
      const path = [...at, key];
      return [{ path: formatPath(path), message: 'is not a known field', received: valueAt(input, path) }];
    }
    return [{ path: formatPath(at), message: issue.message, received: valueAt(input, at) }];
  });
}

/** "field `capacity.maxUnits` = "ten": expected number, received string" (+ N more). */
export function describeIssues(what: string, issues: readonly ValidationIssue[]): string {
  const [first, ...rest] = issues;
  if (!first) return `${what} is invalid`;
  const shown = first.received === undefined ? 'missing' : `= ${showValue(first.received)}`;
  const more = rest.length > 0 ? ` (and ${rest.length} more: ${rest.map((i) => i.path).join(', ')})` : '';
  return `${what}: field \`${first.path}\` ${shown}: ${first.message}${more}`;
}

/** The ValidationError for `input` that failed with zod's `issues`, naming the first bad field. */
export function validationError(
  what: string,
  issues: readonly z.core.$ZodIssue[],
  input: unknown,
  cause?: unknown,
): ValidationError {
  const ours = issuesFromList(issues, input);
  return new ValidationError(describeIssues(what, ours), ours, cause === undefined ? {} : { cause });
}

/**
 * Parse `input` with `schema` or throw a ValidationError whose message names the first offending
 * field and its value. `what` says what was being read ("workload file w.json", "execution input").
 */
export function parseOrThrow<S extends z.ZodType>(schema: S, input: unknown, what: string): z.infer<S> {
  const result = schema.safeParse(input);
  if (result.success) return result.data;
  throw validationError(what, result.error.issues, input, result.error);
}
