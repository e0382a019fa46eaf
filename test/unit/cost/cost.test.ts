import { fanoutTransitions } from '../../../bench/cost';
import { CADENCE_ENV, cadenceFromEnv } from '../../../functions/forecast/core';
import { FORECAST_FUNCTIONS } from '../../../functions/forecast/manifest';
import { customMetricsUsd, monthlyBill, pricesFor } from '../../../shared/cost/bill';
import { readUnits, writeUnits } from '../../../shared/cost/dynamodb';
import { EVENT_CHUNK_BYTES, meterEvent } from '../../../shared/cost/events';
import { lambdaDurationMs } from '../../../shared/cost/lambda';
import { emptyUsage, MemoryMeter } from '../../../shared/cost/meter';
import { PRICES } from '../../../shared/cost/prices';
import { ValidationError } from '../../../shared/errors';
import { readFixture } from '../../helpers/fixtures';

describe('DynamoDB request units', () => {
  it.each([
    [1, 1],
    [1024, 1],
    [1025, 2],
    [17_307, 17],
  ])('a %i-byte write is %i unit(s)', (bytes, units) => {
    expect(writeUnits(bytes)).toBe(units);
  });
  it.each([
    [0, true, 1],
    [0, false, 0.5],
    [4096, true, 1],
    [4097, true, 2],
    [4097, false, 1],
  ])('a %i-byte read (consistent %s) is %d unit(s)', (bytes, consistent, units) => {
    expect(readUnits(bytes, consistent)).toBe(units);
  });
});

describe('the bill', () => {
  it('prices each service from the region table', () => {
    const usage = emptyUsage();
    usage['cloudwatch.metrics-requested'] = 1_000_000;
    usage['dynamodb.write-units'] = 2_000_000;
    usage['dynamodb.read-units'] = 4_000_000;
    usage['lambda.requests'] = 1_000_000;
    usage['lambda.gb-seconds'] = 100_000;
    usage['sfn.standard-transitions'] = 40_000;
    usage['eventbridge.events'] = 3_000_000;
    usage['logs.ingested-bytes'] = 2 * 1024 ** 3;
    const bill = monthlyBill(usage, pricesFor('us-east-1'));
    expect(bill.cloudwatch).toBeCloseTo(10);
    expect(bill.dynamodb).toBeCloseTo(2 * 0.625 + 4 * 0.125);
    expect(bill.lambda).toBeCloseTo(0.2 + 100_000 * 0.0000133334);
    expect(bill.stepfunctions).toBeCloseTo(1);
    expect(bill.eventbridge).toBeCloseTo(3);
    expect(bill.logs).toBeCloseTo(1);
  });
  it('bills custom metrics by tier', () => {
    const t = pricesFor('us-east-1');
    expect(customMetricsUsd(100, t)).toBeCloseTo(30);
    expect(customMetricsUsd(20_000, t)).toBeCloseTo(3_000 + 1_000);
  });
  it('refuses a region without prices, naming it', () => {
    expect(() => pricesFor('mars-1')).toThrow(ValidationError);
    expect(() => pricesFor('mars-1')).toThrow(/mars-1/);
    expect(Object.keys(PRICES)).toContain('us-east-1');
  });
});

describe('meters', () => {
  it('count EventBridge events per started 64 KB and refuse a negative quantity', () => {
    const meter = new MemoryMeter();
    meterEvent(meter, 100);
    meterEvent(meter, EVENT_CHUNK_BYTES + 1);
    expect(meter.take()['eventbridge.events']).toBe(3);
    expect(() => meter.add('lambda.requests', -1)).toThrow(RangeError);
  });
  it('scale Lambda CPU time to the memory size', () => {
    expect(lambdaDurationMs(100, 1_769)).toBe(100);
    expect(lambdaDurationMs(100, 1_769 / 2, 20)).toBe(220);
  });
});

describe('fan-out transitions', () => {
  const asl = JSON.parse(readFixture('..', '..', 'statemachines', 'forecast-fanout.asl.json'));
  it('follows the single-invocation path, and one child per batch when distributed', () => {
    const single = fanoutTransitions(asl, false, 0);
    const distributed = fanoutTransitions(asl, true, 10);
    expect(single).toBeGreaterThanOrEqual(3);
    expect(distributed - fanoutTransitions(asl, true, 0)).toBeGreaterThanOrEqual(10);
  });
});

describe('the forecast handler cadence setting', () => {
  it.each([
    [undefined, false],
    ['every-step', false],
    ['adaptive', true],
  ])('%s: adaptive %s', (value, adaptive) => {
    const env = value === undefined ? {} : { [CADENCE_ENV]: value };
    expect(cadenceFromEnv(env).cadence !== undefined).toBe(adaptive);
  });
  it('is adaptive in the deployed function spec', () => {
    const spec = FORECAST_FUNCTIONS.find((f) => f.id === 'Forecast');
    expect(spec?.environment?.[CADENCE_ENV]).toBe('adaptive');
  });
  it('refuses another value, naming the variable', () => {
    expect(() => cadenceFromEnv({ [CADENCE_ENV]: 'hourly' })).toThrow(/SHADOWSCALE_FORECAST_CADENCE/);
  });
});
