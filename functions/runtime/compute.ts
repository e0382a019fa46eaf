import { ApplicationAutoScalingClient } from '@aws-sdk/client-application-auto-scaling';
import { ECSClient } from '@aws-sdk/client-ecs';
import { EKSClient } from '@aws-sdk/client-eks';
import { EcsComputePool } from '../../shared/aws/ecs-pool';
import { EksBranchPool } from '../../shared/aws/eks-branch';
import { EksComputePool } from '../../shared/aws/eks-pool';
import { KubernetesHttpApi } from '../../shared/aws/kubernetes';
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
let kubeApi: KubernetesHttpApi | undefined;
let cachedBranch: EksBranchPool | undefined;

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
 * The pools deploy-time branching acts on, by compute kind: an ECS service (the ECS adapter is
 * both pool and versions), or on EKS the nodegroup pool with the cluster's Kubernetes objects
 * (`EksBranchPool`: shadow Deployment, Service and TargetGroupBinding; versions are the
 * Deployment's image). The Kubernetes API is reached with the EKS client's credentials and the
 * endpoint and CA from eks:DescribeCluster.
 */
function branchPoolFor(workload: Workload): ComputePool & VersionedPool {
  if (workload.compute.kind === 'ecs') return ecsAdapter();
  eksClient ??= traced(new EKSClient({}));
  cachedEks ??= new EksComputePool(eksClient);
  kubeApi ??= new KubernetesHttpApi(eksClient);
  cachedBranch ??= new EksBranchPool(cachedEks, kubeApi);
  return cachedBranch;
}

export const branchPools: ComputePool = {
  describe: (workload: Workload, role: PoolRole): Promise<PoolStatus> =>
    branchPoolFor(workload).describe(workload, role),
  scale: (workload: Workload, role: PoolRole, desired: number): Promise<void> =>
    branchPoolFor(workload).scale(workload, role, desired),
  setFloor: (workload: Workload, role: PoolRole, floor: number): Promise<void> =>
    branchPoolFor(workload).setFloor(workload, role, floor),
  ensureShadow: (workload: Workload, spec: ShadowSpec): Promise<PoolStatus> =>
    branchPoolFor(workload).ensureShadow(workload, spec),
  deleteShadow: (workload: Workload): Promise<void> => branchPoolFor(workload).deleteShadow(workload),
};

/** `branchPools`, unless `setRuntime({ compute })` installed another pool. */
export function branchCompute(): ComputePool {
  return overrides.compute ?? branchPools;
}

/** Versions: an ECS service's task definition, an EKS workload's Deployment image. */
export const branchVersions: VersionedPool = {
  version: (workload: Workload, role: PoolRole) => branchPoolFor(workload).version(workload, role),
  deploy: (workload: Workload, role: PoolRole, version: string) =>
    branchPoolFor(workload).deploy(workload, role, version),
};

export function versions(): VersionedPool {
  return overrides.versions ?? branchVersions;
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
  kubeApi = undefined;
  cachedBranch = undefined;
}
