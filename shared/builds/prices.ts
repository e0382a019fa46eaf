import { ConfigError } from '../errors';

/**
 * Price table of the build capacity the broker chooses from, per region.
 *
 * CodeBuild on-demand (Linux, `general1` compute types) is billed per build-minute by compute
 * type; a reserved capacity fleet is billed per instance while it exists, used or not, and starts
 * builds without provisioning; builds overflow to on-demand when the fleet is busy (the fleet's
 * `overflowBehavior: ON_DEMAND`) or wait in its queue (`QUEUE`). ECS Fargate is billed per
 * vCPU-hour and GB-hour; Fargate Spot at a discount that AWS moves with supply and demand,
 * interruptible with a two-minute warning.
 *
 * Where each figure comes from (looked up 2026-12-05; the official pricing pages
 * https://aws.amazon.com/codebuild/pricing/ and https://aws.amazon.com/fargate/pricing/ could not
 * be read from here, so the figures below were checked against secondary pages that quote them):
 *   - vCPU and memory of the `general1` Linux types: AWS CodeBuild User Guide, "Build environment
 *     compute modes and types" (https://docs.aws.amazon.com/codebuild/latest/userguide/build-env-ref-compute-types.html):
 *     SMALL 2 vCPU / 3 GB, MEDIUM 4 / 7, LARGE 8 / 15, XLARGE 36 / 70, 2XLARGE 72 / 145. Verified.
 *   - On-demand SMALL $0.005, MEDIUM $0.01, LARGE $0.02 per build-minute (us-east-1): quoted by
 *     https://c3x.dev/resources/aws/aws_codebuild_project/ and
 *     https://kindatechnical.com/aws-codebuild/understanding-codebuild-pricing.html. Verified
 *     against those secondary sources only.
 *   - On-demand XLARGE and 2XLARGE per-minute rates: NOT verified (no source found); kept from
 *     the earlier table, which was typed from memory.
 *   - Reserved-fleet per-minute rates: NOT verified (no source found). They are set equal to the
 *     on-demand rate of the same size, so this table never claims a reserved discount; a fleet's
 *     advantage here is only that it starts at once and that its idle time is already paid for.
 *   - eu-west-1 CodeBuild rates: NOT verified; assumed equal to us-east-1.
 *   - Fargate Linux/x86 us-east-1 $0.04048 per vCPU-hour and $0.004445 per GB-hour: quoted by
 *     https://www.vantage.sh/blog/fargate-pricing and https://www.wring.co/blog/aws-fargate-pricing-guide
 *     (March 2026). Verified against those secondary sources.
 *   - Fargate eu-west-1 on-demand: https://tomgregory.com/aws/aws-fargate-spot-vs-fargate-price-comparison/
 *     quotes the same $0.04048 / $0.004445 for eu-west-1 (undated); the earlier table's higher
 *     figures had no source. Weakly verified.
 *   - Fargate Spot: AWS publishes a moving price; the same page quotes $0.01334053 per vCPU-hour
 *     (eu-west-1, undated), about 67 % off on-demand. The table uses 70 % off on-demand (AWS's
 *     "up to 70 %"), the same in both regions, for vCPU and memory. NOT verified as a current rate.
 * Prices differ per account (savings plans, private pricing) and change over time: treat this as
 * the default of a table you pass in, and check it before relying on a cost figure.
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
    memoryGb: 70,
    onDemandPerMinute: 0.0798,
    reservedPerMinute: 0.0798,
  },
  {
    name: '2XLARGE',
    computeType: 'BUILD_GENERAL1_2XLARGE',
    vcpu: 72,
    memoryGb: 145,
    onDemandPerMinute: 0.1596,
    reservedPerMinute: 0.1596,
  },
];

const PROVISIONING = { reserved: 0, onDemand: 45, fargate: 40 };

/** Fargate Spot as a share of the on-demand rate (AWS: "up to 70 % off"; the live rate moves). */
const FARGATE_SPOT_SHARE = 0.3;
const FARGATE_X86: FargatePrices = {
  perVcpuHour: 0.04048,
  perGbHour: 0.004445,
  spotPerVcpuHour: 0.04048 * FARGATE_SPOT_SHARE,
  spotPerGbHour: 0.004445 * FARGATE_SPOT_SHARE,
};

export const PRICE_TABLE: Readonly<Record<string, RegionPrices>> = {
  'us-east-1': {
    region: 'us-east-1',
    codebuild: CODEBUILD_US_EAST_1,
    fargate: FARGATE_X86,
    provisioningSeconds: PROVISIONING,
  },
  'eu-west-1': {
    region: 'eu-west-1',
    // Not verified for this region: the us-east-1 CodeBuild rates (see above).
    codebuild: CODEBUILD_US_EAST_1,
    fargate: FARGATE_X86,
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
