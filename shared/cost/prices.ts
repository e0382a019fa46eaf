/**
 * AWS list prices of what Shadowscale's control plane uses, per region, in USD.
 *
 * Source: AWS's public pricing pages (https://aws.amazon.com/cloudwatch/pricing/,
 * /dynamodb/pricing/on-demand/, /lambda/pricing/, /step-functions/pricing/,
 * /eventbridge/pricing/), as they stood on PRICES_AS_OF. They were typed in from those pages as
 * known then and could not be re-checked from the machine that wrote this file (no network):
 * check them against the pages, or your own bill, before quoting a figure. Free tiers are left
 * out (they lower a small account's bill), and so are taxes and data transfer.
 *
 * To update: edit the numbers below (one region per entry; a region missing here is refused by
 * `pricesFor`) and PRICES_AS_OF. Nothing else reads prices.
 */
export const PRICES_AS_OF = '2025-06-01';

export interface PriceTable {
  cloudwatch: {
    /** GetMetricData, per 1,000 metrics requested. */
    perThousandMetricsRequested: number;
    /** Custom metrics, per metric-month, by tier: up to `upTo` metrics (cumulative) at `usd`. */
    customMetricTiers: readonly { upTo: number; usd: number }[];
  };
  logs: {
    /** Standard log class, per GB ingested. */
    perGbIngested: number;
  };
  dynamodb: {
    /** On-demand, per million write / read request units (prices of November 2024). */
    perMillionWriteUnits: number;
    perMillionReadUnits: number;
  };
  lambda: {
    /** arm64, per GB-second (first tier) and per million requests. */
    perArmGbSecond: number;
    perMillionRequests: number;
  };
  stepFunctions: {
    /** Standard, per 1,000 state transitions. */
    perThousandTransitions: number;
    /** Express, per million requests and per GB-second (first tier). */
    expressPerMillionRequests: number;
    expressPerGbSecond: number;
  };
  eventbridge: {
    /** Custom events, per million (64 KB chunks). */
    perMillionEvents: number;
  };
}

const CUSTOM_METRIC_TIERS = [
  { upTo: 10_000, usd: 0.3 },
  { upTo: 250_000, usd: 0.1 },
  { upTo: 1_000_000, usd: 0.05 },
  { upTo: Number.POSITIVE_INFINITY, usd: 0.02 },
] as const;

const US: PriceTable = {
  cloudwatch: { perThousandMetricsRequested: 0.01, customMetricTiers: CUSTOM_METRIC_TIERS },
  logs: { perGbIngested: 0.5 },
  dynamodb: { perMillionWriteUnits: 0.625, perMillionReadUnits: 0.125 },
  lambda: { perArmGbSecond: 0.0000133334, perMillionRequests: 0.2 },
  stepFunctions: {
    perThousandTransitions: 0.025,
    expressPerMillionRequests: 1.0,
    expressPerGbSecond: 0.00001667,
  },
  eventbridge: { perMillionEvents: 1.0 },
};

export const PRICES: Readonly<Record<string, PriceTable>> = {
  'us-east-1': US,
  'us-east-2': US,
  'us-west-2': US,
  'eu-west-1': {
    ...US,
    logs: { perGbIngested: 0.57 },
    dynamodb: { perMillionWriteUnits: 0.7063, perMillionReadUnits: 0.1413 },
  },
};

export const PRICE_REGIONS = Object.keys(PRICES);
