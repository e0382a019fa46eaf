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
  return error.issues.map((issue) => {
    // Unknown keys are reported on the parent object; point at the key itself.
    if (issue.code === 'unrecognized_keys') {
      const key = issue.keys[0] ?? '';
      const path = [...issue.path, key];
      return { path: formatPath(path), message: 'is not a known field', received: valueAt(input, path) };
    }
    return { path: formatPath(issue.path), message: issue.message, received: valueAt(input, issue.path) };
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

/**
 * Parse `input` with `schema` or throw a ValidationError whose message names the first offending
 * field and its value. `what` says what was being read ("workload file w.json", "execution input").
 */
export function parseOrThrow<S extends z.ZodType>(schema: S, input: unknown, what: string): z.infer<S> {
  const result = schema.safeParse(input);
  if (result.success) return result.data;
  const issues = issuesOf(result.error, input);
  throw new ValidationError(describeIssues(what, issues), issues, { cause: result.error });
}
