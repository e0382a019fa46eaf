import { CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import { ECSClient } from '@aws-sdk/client-ecs';
import { EKSClient } from '@aws-sdk/client-eks';
import type { Clock } from '../clock';
import { ConfigError } from '../errors';
import { ALB_METRIC_DELAY_SECONDS, staleAfterSeconds } from '../failover/health';
import type { ComputePool, PoolStatus } from '../ports/compute';
import type { TargetHealthResult } from '../ports/metrics';
import type { RegionalHealthSource, StandbyPool } from '../ports/regions';
import type { Workload } from '../schemas/workload';
import { CloudWatchTargetHealth } from './cloudwatch-health';
import { EcsComputePool } from './ecs-pool';
import { EksComputePool } from './eks-pool';

/**
 * The workload as it runs in its standby region: the same definition with the compute names
 * `failover.standby` gives (default: the primary's). Its `primary` pool is the standby service.
 */
export function standbyWorkload(workload: Workload): Workload {
  const standby = workload.failover?.standby;
  if (!workload.regions.standby || !workload.failover) {
    throw new ConfigError(`workload ${workload.workloadId} has no standby region with failover configured`);
  }
  const compute: Workload['compute'] =
    workload.compute.kind === 'ecs'
      ? {
          ...workload.compute,
          cluster: standby?.cluster ?? workload.compute.cluster,
          service: standby?.service ?? workload.compute.service,
        }
      : {
          ...workload.compute,
          cluster: standby?.cluster ?? workload.compute.cluster,
          nodegroup: standby?.nodegroup ?? workload.compute.nodegroup,
        };
  return { ...workload, compute };
}

/**
 * `StandbyPool` on ECS/EKS in the standby region: the existing pool adapters with a client for
 * that region (clients per region, built once; `AWS_ENDPOINT_URL` honoured by the SDK).
 */
export class AwsStandbyPool implements StandbyPool {
  private readonly pools = new Map<string, ComputePool>();

  constructor(
    private readonly makePool: (kind: 'ecs' | 'eks', region: string) => ComputePool = defaultPool,
  ) {}

  private pool(workload: Workload): ComputePool {
    const region = workload.regions.standby;
    if (!region) throw new ConfigError(`workload ${workload.workloadId} has no standby region`);
    const key = `${workload.compute.kind}:${region}`;
    let pool = this.pools.get(key);
    if (!pool) {
      pool = this.makePool(workload.compute.kind, region);
      this.pools.set(key, pool);
    }
    return pool;
  }

  describe(workload: Workload): Promise<PoolStatus> {
    return this.pool(workload).describe(standbyWorkload(workload), 'primary');
  }

  scale(workload: Workload, desired: number): Promise<void> {
    return this.pool(workload).scale(standbyWorkload(workload), 'primary', desired);
  }
}

function defaultPool(kind: 'ecs' | 'eks', region: string): ComputePool {
  return kind === 'ecs'
    ? new EcsComputePool(new ECSClient({ region }))
    : new EksComputePool(new EKSClient({ region }));
}

/**
 * `RegionalHealthSource` from each region's ALB metrics (CloudWatch in that region): the newest
 * published minutes, so CloudWatch's publication delay never reads as a region not answering.
 */
export class CloudWatchRegionalHealth implements RegionalHealthSource {
  private readonly sources = new Map<string, CloudWatchTargetHealth>();

  constructor(
    private readonly clock: Clock,
    private readonly makeClient: (region: string) => CloudWatchClient = (region) =>
      new CloudWatchClient({ region }),
  ) {}

  read(
    workload: Workload,
    region: string,
    windowSeconds: number,
    options: { sinceMs?: number } = {},
  ): Promise<TargetHealthResult> {
    const endpoint = workload.failover?.dns.endpoints[region];
    if (!endpoint?.targetGroupArn || !endpoint.loadBalancerDimension) {
      throw new ConfigError(
        `failover.dns.endpoints.${region} needs targetGroupArn and loadBalancerDimension for regional health`,
      );
    }
    let source = this.sources.get(region);
    if (!source) {
      source = new CloudWatchTargetHealth(this.makeClient(region), this.clock, {
        newestPublished: { staleAfterSeconds: staleAfterSeconds(ALB_METRIC_DELAY_SECONDS) },
      });
      this.sources.set(region, source);
    }
    return source.read(endpoint.targetGroupArn, endpoint.loadBalancerDimension, windowSeconds, options);
  }
}
