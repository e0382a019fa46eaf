import { ApplicationAutoScalingClient } from '@aws-sdk/client-application-auto-scaling';
import { ECSClient } from '@aws-sdk/client-ecs';
import { EKSClient } from '@aws-sdk/client-eks';
import { EcsComputePool } from '../../shared/aws/ecs-pool';
import { EksComputePool } from '../../shared/aws/eks-pool';
import { ConfigError } from '../../shared/errors';
import type {
  ComputePool,
  PoolRole,
  PoolStatus,
  ShadowSpec,
  VersionedPool,
} from '../../shared/ports/compute';
import type { Workload } from '../../shared/schemas/workload';
import { overrides } from './index';
import { traced } from './powertools';

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

function ecsAdapter(): EcsComputePool {
  ecsClient ??= traced(new ECSClient({}));
  scalingClient ??= traced(new ApplicationAutoScalingClient({}));
  cachedEcs ??= new EcsComputePool(ecsClient, scalingClient);
  return cachedEcs;
}

function poolFor(workload: Workload): ComputePool {
  if (workload.compute.kind === 'ecs') return ecsAdapter();
  eksClient ??= traced(new EKSClient({}));
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

/**
 * The ECS adapter alone, for capabilities that act on ECS workloads only (deploy-time branching
 * refuses other kinds at validation): such a bundle never builds an EKS client, so its role
 * holds no EKS right. Any other kind is a ConfigError.
 */
export const computeOnEcs: ComputePool = {
  describe: (workload: Workload, role: PoolRole): Promise<PoolStatus> =>
    ecsPool(workload).describe(workload, role),
  scale: (workload: Workload, role: PoolRole, desired: number): Promise<void> =>
    ecsPool(workload).scale(workload, role, desired),
  setFloor: (workload: Workload, role: PoolRole, floor: number): Promise<void> =>
    ecsPool(workload).setFloor(workload, role, floor),
  ensureShadow: (workload: Workload, spec: ShadowSpec): Promise<PoolStatus> =>
    ecsPool(workload).ensureShadow(workload, spec),
  deleteShadow: (workload: Workload): Promise<void> => ecsPool(workload).deleteShadow(workload),
};

/** `computeOnEcs`, unless `setRuntime({ compute })` installed another pool. */
export function ecsCompute(): ComputePool {
  return overrides.compute ?? computeOnEcs;
}

/** Versions live on ECS services; an EKS nodegroup runs nodes, not a version of the workload. */
export const versionsOnEcs: VersionedPool = {
  version: (workload: Workload, role: PoolRole) => ecsPool(workload).version(workload, role),
  deploy: (workload: Workload, role: PoolRole, version: string) =>
    ecsPool(workload).deploy(workload, role, version),
};

function ecsPool(workload: Workload): EcsComputePool {
  if (workload.compute.kind !== 'ecs') {
    throw new ConfigError(
      `workload ${workload.workloadId} runs on ${workload.compute.kind}: deploy-time branching acts on ECS services only`,
    );
  }
  return ecsAdapter();
}

export function versions(): VersionedPool {
  return overrides.versions ?? versionsOnEcs;
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
