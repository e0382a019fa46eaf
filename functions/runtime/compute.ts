import { ApplicationAutoScalingClient } from '@aws-sdk/client-application-auto-scaling';
import { ECSClient } from '@aws-sdk/client-ecs';
import { EKSClient } from '@aws-sdk/client-eks';
import { EcsComputePool } from '../../shared/aws/ecs-pool';
import { EksComputePool } from '../../shared/aws/eks-pool';
import type { ComputePool, PoolRole, PoolStatus, ShadowSpec } from '../../shared/ports/compute';
import type { Workload } from '../../shared/schemas/workload';
import { overrides } from './index';

/**
 * The ComputePool for handlers: one adapter per compute kind, picked per workload (`compute.kind`
 * is `ecs` or `eks`), each with its SDK client built once per container on first use. Endpoint,
 * region and credentials come from the SDK's configuration (`AWS_ENDPOINT_URL_ECS` /
 * `AWS_ENDPOINT_URL_EKS` / `AWS_ENDPOINT_URL` honoured). `setRuntime({ compute })` wins.
 */
let cachedEcs: EcsComputePool | undefined;
let cachedEks: EksComputePool | undefined;
let ecsClient: ECSClient | undefined;
let scalingClient: ApplicationAutoScalingClient | undefined;
let eksClient: EKSClient | undefined;

function poolFor(workload: Workload): ComputePool {
  if (workload.compute.kind === 'ecs') {
    ecsClient ??= new ECSClient({});
    scalingClient ??= new ApplicationAutoScalingClient({});
    cachedEcs ??= new EcsComputePool(ecsClient, scalingClient);
    return cachedEcs;
  }
  eksClient ??= new EKSClient({});
  cachedEks ??= new EksComputePool(eksClient);
  return cachedEks;
}

/** Dispatches each call to the ECS or EKS adapter by the workload's compute kind. */
export const computeByKind: ComputePool = {
  describe: (workload: Workload, role: PoolRole): Promise<PoolStatus> =>
    poolFor(workload).describe(workload, role),
  scale: (workload: Workload, role: PoolRole, desired: number): Promise<void> =>
    poolFor(workload).scale(workload, role, desired),
  setFloor: (workload: Workload, role: PoolRole, floor: number): Promise<void> =>
    poolFor(workload).setFloor(workload, role, floor),
  ensureShadow: (workload: Workload, spec: ShadowSpec): Promise<PoolStatus> =>
    poolFor(workload).ensureShadow(workload, spec),
  deleteShadow: (workload: Workload): Promise<void> => poolFor(workload).deleteShadow(workload),
};

export function compute(): ComputePool {
  return overrides.compute ?? computeByKind;
}

/** Forget the lazily built clients (tests that change the environment). */
export function resetComputeCache(): void {
  ecsClient?.destroy();
  scalingClient?.destroy();
  scalingClient = undefined;
  eksClient?.destroy();
  ecsClient = undefined;
  eksClient = undefined;
  cachedEcs = undefined;
  cachedEks = undefined;
}
