import { ValidationError } from '../errors';
import type { Usage } from './meter';
import { PRICES, type PriceTable } from './prices';

export const SERVICES = ['cloudwatch', 'logs', 'dynamodb', 'lambda', 'stepfunctions', 'eventbridge'] as const;
export type Service = (typeof SERVICES)[number];
export type Bill = Record<Service, number>;

/** Hours in AWS's billing month (CloudWatch prorates custom metrics by the hour of a 730-hour month). */
export const HOURS_PER_MONTH = 730;

export function pricesFor(region: string): PriceTable {
  const table = PRICES[region];
  if (!table)
    throw new ValidationError(
      `region ${JSON.stringify(region)} has no price table (known: ${Object.keys(PRICES).join(', ')})`,
      [{ path: 'region', message: 'has no price table', received: region }],
    );
  return table;
}

/** Custom metrics billed by tier for `metricMonths` metric-months of one account. */
export function customMetricsUsd(metricMonths: number, table: PriceTable): number {
  let usd = 0;
  let below = 0;
  for (const tier of table.cloudwatch.customMetricTiers) {
    const inTier = Math.max(0, Math.min(metricMonths, tier.upTo) - below);
    usd += inTier * tier.usd;
    below = tier.upTo;
    if (metricMonths <= below) break;
  }
  return usd;
}

/** One month's usage (already scaled to a month) in USD, by service. */
export function monthlyBill(month: Readonly<Usage>, table: PriceTable): Bill {
  return {
    cloudwatch:
      (month['cloudwatch.metrics-requested'] / 1_000) * table.cloudwatch.perThousandMetricsRequested +
      customMetricsUsd(month['cloudwatch.custom-metric-hours'] / HOURS_PER_MONTH, table),
    logs: (month['logs.ingested-bytes'] / 1024 ** 3) * table.logs.perGbIngested,
    dynamodb:
      (month['dynamodb.write-units'] / 1e6) * table.dynamodb.perMillionWriteUnits +
      (month['dynamodb.read-units'] / 1e6) * table.dynamodb.perMillionReadUnits,
    lambda:
      month['lambda.gb-seconds'] * table.lambda.perArmGbSecond +
      (month['lambda.requests'] / 1e6) * table.lambda.perMillionRequests,
    stepfunctions:
      (month['sfn.standard-transitions'] / 1_000) * table.stepFunctions.perThousandTransitions +
      (month['sfn.express-requests'] / 1e6) * table.stepFunctions.expressPerMillionRequests +
      month['sfn.express-gb-seconds'] * table.stepFunctions.expressPerGbSecond,
    eventbridge: (month['eventbridge.events'] / 1e6) * table.eventbridge.perMillionEvents,
  };
}

export function billTotal(bill: Readonly<Bill>): number {
  return SERVICES.reduce((sum, s) => sum + bill[s], 0);
}
