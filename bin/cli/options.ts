import { InvalidArgumentError } from 'commander';

/**
 * Argument parsers for commander. Each throws InvalidArgumentError, which commander reports as
 * "option '--flag <x>' argument 'value' is invalid. <reason>" and we turn into exit code 2.
 */

const UNIT_MS: Record<string, number> = {
  ms: 1,
  s: 1_000,
  m: 60_000,
  h: 3_600_000,
  d: 86_400_000,
  w: 604_800_000,
};

/** "90s", "3m", "24h", "7d", "1w" -> milliseconds. */
export function parseDuration(value: string): number {
  const match = /^(\d+(?:\.\d+)?)(ms|s|m|h|d|w)$/.exec(value.trim());
  if (!match) throw new InvalidArgumentError('expected a duration such as 90s, 3m, 24h or 7d.');
  const ms = Number(match[1]) * (UNIT_MS[match[2] as string] as number);
  if (!(ms > 0)) throw new InvalidArgumentError('duration must be greater than zero.');
  return ms;
}

export function parsePositiveInt(value: string): number {
  const n = Number(value);
  if (!/^\d+$/.test(value.trim()) || !Number.isSafeInteger(n) || n <= 0) {
    throw new InvalidArgumentError('expected a positive integer.');
  }
  return n;
}

export function parseNonNegativeInt(value: string): number {
  const n = Number(value);
  if (!/^\d+$/.test(value.trim()) || !Number.isSafeInteger(n))
    throw new InvalidArgumentError('expected an integer >= 0.');
  return n;
}

export function parsePositiveNumber(value: string): number {
  const n = Number(value);
  if (value.trim() === '' || !Number.isFinite(n) || n <= 0)
    throw new InvalidArgumentError('expected a number > 0.');
  return n;
}

/** "0.5,0.8,0.95" -> [0.5, 0.8, 0.95], each strictly between 0 and 1, sorted, unique. */
export function parseQuantiles(value: string): number[] {
  const parts = value.split(',').map((p) => p.trim());
  const qs = parts.map(Number);
  const bad = parts.find((p, i) => p === '' || !((qs[i] as number) > 0 && (qs[i] as number) < 1));
  if (bad !== undefined)
    throw new InvalidArgumentError(
      `quantile ${JSON.stringify(bad)} must be a number strictly between 0 and 1.`,
    );
  return [...new Set(qs)].sort((a, b) => a - b);
}

/** "0.1,0.2,none" -> headroom caps (fractions > 0; "none" = no cap, Infinity), sorted, unique. */
export function parseHeadrooms(value: string): number[] {
  const parts = value.split(',').map((p) => p.trim());
  const hs = parts.map((p) => (p === 'none' ? Number.POSITIVE_INFINITY : Number(p)));
  const bad = parts.find((p, i) => p === '' || !((hs[i] as number) > 0));
  if (bad !== undefined)
    throw new InvalidArgumentError(`headroom ${JSON.stringify(bad)} must be a number > 0 or "none".`);
  return [...new Set(hs)].sort((a, b) => a - b);
}

/** "10,25,50,100" -> traffic steps in percent, strictly increasing, ending at 100. */
export function parseSteps(value: string): number[] {
  const parts = value.split(',').map((p) => p.trim());
  const steps = parts.map(Number);
  const bad = parts.find(
    (p, i) => !/^\d+$/.test(p) || (steps[i] as number) < 1 || (steps[i] as number) > 100,
  );
  if (bad !== undefined)
    throw new InvalidArgumentError(`step ${JSON.stringify(bad)} must be an integer percent from 1 to 100.`);
  if (steps.some((s, i) => i > 0 && s <= (steps[i - 1] as number)))
    throw new InvalidArgumentError('steps must be strictly increasing.');
  if (steps[steps.length - 1] !== 100) throw new InvalidArgumentError('the last step must be 100.');
  return steps;
}

/** A comma list drawn from `allowed`. */
export function parseChoiceList<T extends string>(allowed: readonly T[]) {
  return (value: string): T[] => {
    const items = value.split(',').map((p) => p.trim());
    const bad = items.find((i) => !(allowed as readonly string[]).includes(i));
    if (bad !== undefined)
      throw new InvalidArgumentError(`${JSON.stringify(bad)} is not one of ${allowed.join(', ')}.`);
    return [...new Set(items)] as T[];
  };
}

export function parseChoice<T extends string>(allowed: readonly T[]) {
  return (value: string): T => {
    if (!(allowed as readonly string[]).includes(value)) {
      throw new InvalidArgumentError(`expected one of ${allowed.join(', ')}.`);
    }
    return value as T;
  };
}

/** A DynamoDB table prefix: tables are named `<prefix>-<name>`. */
export function parseTablePrefix(value: string): string {
  if (!/^[A-Za-z0-9_.-]{1,200}$/.test(value))
    throw new InvalidArgumentError(
      'expected 1-200 chars of letters, digits, _ . - (tables are <prefix>-<name>).',
    );
  return value;
}

/** An instant: ISO 8601 (`2026-11-23T12:00:00Z`) or epoch milliseconds -> epoch milliseconds. */
export function parseInstant(value: string): number {
  const text = value.trim();
  const ms = /^\d+$/.test(text) ? Number(text) : Date.parse(text);
  if (!Number.isSafeInteger(ms) || ms < 0)
    throw new InvalidArgumentError(
      'expected an ISO 8601 time such as 2026-11-23T12:00:00Z or epoch milliseconds.',
    );
  return ms;
}

/** A workload id (DNS-label-like, as in the workload schema). */
export function parseWorkloadId(value: string): string {
  if (!/^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/.test(value))
    throw new InvalidArgumentError('expected 1-63 chars of a-z, 0-9 and -, not starting or ending with -.');
  return value;
}
