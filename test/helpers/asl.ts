/** The parts of an ASL state the definition checks read. */
export interface AslStateShape {
  Type: string;
  Next?: string;
  Default?: string;
  Choices?: { Next: string }[];
  Catch?: { ErrorEquals: string[]; Next: string }[];
  Retry?: { ErrorEquals: string[]; BackoffRate?: number; JitterStrategy?: string }[];
  TimeoutSeconds?: number;
}

/**
 * Every Task retries `requiredRetry` with backoff and full jitter, catches `States.ALL`, and (with
 * `timeouts`) sets its own TimeoutSeconds. One expectation per rule and Task, naming the Task.
 */
export function expectTaskPolicies(
  states: Readonly<Record<string, AslStateShape>>,
  requiredRetry: readonly string[],
  options: { timeouts?: boolean } = {},
): void {
  for (const [name, state] of Object.entries(states)) {
    if (state.Type !== 'Task') continue;
    const retried = new Set(state.Retry?.flatMap((r) => r.ErrorEquals));
    expect({ name, missing: requiredRetry.filter((e) => !retried.has(e)) }).toEqual({ name, missing: [] });
    for (const r of state.Retry ?? [])
      expect({ name, backoff: (r.BackoffRate ?? 0) > 1, jitter: r.JitterStrategy }).toEqual({
        name,
        backoff: true,
        jitter: 'FULL',
      });
    expect({ name, catchesAll: state.Catch?.some((c) => c.ErrorEquals.includes('States.ALL')) }).toEqual({
      name,
      catchesAll: true,
    });
    if (options.timeouts)
      expect({ name, timeout: (state.TimeoutSeconds ?? 0) > 0 }).toEqual({ name, timeout: true });
  }
}

/** The states reachable from `start` through Next, Default, Choices and Catch, sorted. */
export function reachableStates(
  states: Readonly<Record<string, AslStateShape>>,
  start = 'Validate',
): string[] {
  const reachable = new Set<string>([start]);
  const queue = [start];
  while (queue.length) {
    const s = states[queue.shift() as string];
    for (const n of [
      s?.Next,
      s?.Default,
      ...(s?.Choices ?? []).map((c) => c.Next),
      ...(s?.Catch ?? []).map((c) => c.Next),
    ]) {
      if (n && !reachable.has(n)) {
        reachable.add(n);
        queue.push(n);
      }
    }
  }
  return [...reachable].sort();
}
