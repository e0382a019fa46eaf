import { ConfigError } from '../errors';

/**
 * Price table of the build capacity the broker chooses from, per region.
 *
 * CodeBuild on-demand (Linux, `general1` compute types) is billed per build-minute by compute
 * type; a reserved capacity fleet is billed per instance-minute while it exists, used or not,
 * and starts builds without provisioning; builds overflow to on-demand when the fleet is busy
 * (the fleet's `overflowBehavior: ON_DEMAND`). ECS Fargate is billed per vCPU-hour and GB-hour;
 * Fargate Spot at a discount, interruptible with a two-minute warning.
 *
 * The figures were entered from memory of the public AWS pricing pages (CodeBuild, Fargate) on
 * 2026-12-04, on a machine without network access: they were not checked against the pages,
 * change over time, and differ per account (savings plans, private pricing). Treat them as the
 * default of a table you pass in, and check them before relying on a cost figure.
 * Provisioning delays are our own typical figures, not AWS guarantees.
 */

export const COMPUTE_TYPES = ['SMALL', 'MEDIUM', 'LARGE', 'XLARGE', '2XLARGE'] as const;
export type ComputeTypeName = (typeof COMPUTE_TYPES)[number];

export interface CodeBuildType {
  name: ComputeTypeName;
  /** The `computeType` / `computeTypeOverride` value. */
  computeType: string;
  vcpu: number;
  memoryGb: number;
  /** On-demand USD per build-minute. */
  onDemandPerMinute: number;
  /** Reserved fleet USD per instance-minute (billed while the fleet exists). */
  reservedPerMinute: number;
}

export interface FargatePrices {
  perVcpuHour: number;
  perGbHour: number;
  spotPerVcpuHour: number;
  spotPerGbHour: number;
}

export interface RegionPrices {
  region: string;
  codebuild: readonly CodeBuildType[];
  fargate: FargatePrices;
  /** Seconds from request to running. */
  provisioningSeconds: { reserved: number; onDemand: number; fargate: number };
}

const CODEBUILD_US_EAST_1: readonly CodeBuildType[] = [
  {
    name: 'SMALL',
    computeType: 'BUILD_GENERAL1_SMALL',
    vcpu: 2,
    memoryGb: 3,
    onDemandPerMinute: 0.005,
    reservedPerMinute: 0.005,
  },
  {
    name: 'MEDIUM',
    computeType: 'BUILD_GENERAL1_MEDIUM',
    vcpu: 4,
    memoryGb: 7,
    onDemandPerMinute: 0.01,
    reservedPerMinute: 0.01,
  },
  {
    name: 'LARGE',
    computeType: 'BUILD_GENERAL1_LARGE',
    vcpu: 8,
    memoryGb: 15,
    onDemandPerMinute: 0.02,
    reservedPerMinute: 0.02,
  },
  {
    name: 'XLARGE',
    computeType: 'BUILD_GENERAL1_XLARGE',
    vcpu: 36,
    memoryGb: 72,
    onDemandPerMinute: 0.0798,
    reservedPerMinute: 0.0798,
  },
  {
    name: '2XLARGE',
    computeType: 'BUILD_GENERAL1_2XLARGE',
    vcpu: 72,
    memoryGb: 144,
    onDemandPerMinute: 0.1596,
    reservedPerMinute: 0.1596,
  },
];

const PROVISIONING = { reserved: 0, onDemand: 45, fargate: 40 };

export const PRICE_TABLE: Readonly<Record<string, RegionPrices>> = {
  'us-east-1': {
    region: 'us-east-1',
    codebuild: CODEBUILD_US_EAST_1,
    fargate: { perVcpuHour: 0.04048, perGbHour: 0.004445, spotPerVcpuHour: 0.01292, spotPerGbHour: 0.00142 },
    provisioningSeconds: PROVISIONING,
  },
  'eu-west-1': {
    region: 'eu-west-1',
    // CodeBuild lists the same general1 per-minute rates here as in us-east-1 in our reading.
    codebuild: CODEBUILD_US_EAST_1,
    fargate: { perVcpuHour: 0.04456, perGbHour: 0.004865, spotPerVcpuHour: 0.01425, spotPerGbHour: 0.00156 },
    provisioningSeconds: PROVISIONING,
  },
};

export function pricesFor(
  region: string,
  table: Readonly<Record<string, RegionPrices>> = PRICE_TABLE,
): RegionPrices {
  const prices = table[region];
  if (!prices)
    throw new ConfigError(
      `no build price table for region ${JSON.stringify(region)} (known: ${Object.keys(table).join(', ')})`,
    );
  return prices;
}

export function codeBuildType(prices: RegionPrices, name: ComputeTypeName): CodeBuildType {
  const found = prices.codebuild.find((t) => t.name === name);
  if (!found) throw new ConfigError(`compute type ${name} is not priced in ${prices.region}`);
  return found;
}

/** Fargate task sizes (vCPU, GB) the broker considers: the smallest memory per vCPU step. */
export const FARGATE_SIZES: readonly { vcpu: number; memoryGb: number }[] = [
  { vcpu: 0.25, memoryGb: 0.5 },
  { vcpu: 0.5, memoryGb: 1 },
  { vcpu: 1, memoryGb: 2 },
  { vcpu: 2, memoryGb: 4 },
  { vcpu: 4, memoryGb: 8 },
  { vcpu: 8, memoryGb: 16 },
  { vcpu: 16, memoryGb: 32 },
];
