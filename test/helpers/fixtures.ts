import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { WorkloadInput } from '../../shared/schemas/workload';

export const FIXTURES = join(__dirname, '..', 'fixtures');

export function fixturePath(...parts: string[]): string {
  return join(FIXTURES, ...parts);
}

export function readFixture(...parts: string[]): string {
  return readFileSync(fixturePath(...parts), 'utf8');
}

/** A fresh, valid workload definition (defaults not applied) to mutate in tests. */
export function workloadInput(): WorkloadInput {
  return JSON.parse(readFixture('workloads', 'checkout-api.json')) as WorkloadInput;
}
