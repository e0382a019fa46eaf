import type { Meter } from '../ports/meter';

/**
 * Lambda duration of an invocation measured in process. Lambda gives a function CPU in proportion
 * to its memory, one full vCPU at 1,769 MB
 * (https://docs.aws.amazon.com/lambda/latest/dg/configuration-memory.html), so CPU-bound work
 * measured on one core takes 1,769 / memory times as long below that. Waiting on AWS is not
 * measured in a replay: `ioMs` adds it as round trips of DEFAULT_ROUND_TRIP_MS each, an assumption
 * of a same-region call, stated wherever a bill is printed. Billed per started millisecond.
 */
export const FULL_VCPU_MB = 1_769;
export const DEFAULT_ROUND_TRIP_MS = 20;

export function lambdaDurationMs(cpuMs: number, memoryMb: number, ioMs = 0): number {
  return Math.max(1, Math.ceil(cpuMs * Math.max(1, FULL_VCPU_MB / memoryMb) + ioMs));
}

/** Count one invocation of `durationMs` at `memoryMb`. */
export function meterInvocation(meter: Meter, memoryMb: number, durationMs: number): void {
  meter.add('lambda.requests', 1);
  meter.add('lambda.gb-seconds', (memoryMb / 1024) * (Math.ceil(durationMs) / 1000));
}
