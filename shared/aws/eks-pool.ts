import {
  CreateNodegroupCommand,
  type CreateNodegroupCommandInput,
  DeleteNodegroupCommand,
  DescribeNodegroupCommand,
  type EKSClient,
  type Nodegroup,
  UpdateNodegroupConfigCommand,
} from '@aws-sdk/client-eks';
import { ConfigError, NotFoundError, TransientError } from '../errors';
import type { ComputePool, PoolRole, PoolStatus, ShadowSpec } from '../ports/compute';
import type { Workload } from '../schemas/workload';
import { awsFailure, isCopyableTagKey, MANAGED_TAG, WORKLOAD_TAG } from './common';

type EksCompute = Extract<Workload['compute'], { kind: 'eks' }>;

/** Node label on shadow nodes, so the shadow Deployment can select them (nodeSelector). */
export const SHADOW_NODE_LABEL = 'shadowscale/pool';

function eks(workload: Workload): EksCompute {
  if (workload.compute.kind !== 'eks') {
    throw new ConfigError(`workload ${workload.workloadId} runs on ${workload.compute.kind}, not EKS`);
  }
  return workload.compute;
}

export function shadowNodegroupName(compute: EksCompute): string {
  return compute.shadowNodegroup ?? `${compute.nodegroup}-shadow`;
}

const ABSENT: PoolStatus = { exists: false, desired: 0, pending: 0, ready: 0, draining: 0 };

/**
 * DescribeNodegroup does not count ready nodes; a nodegroup that is ACTIVE with no health issues
 * has reached its desired size (EKS reports DEGRADED otherwise). Whether pods behind the shadow
 * target group are healthy is checked separately, through the target group.
 */
export function nodegroupStatus(nodegroup: Nodegroup | undefined): PoolStatus {
  if (!nodegroup || nodegroup.status === 'DELETING' || nodegroup.status === 'DELETE_FAILED') return ABSENT;
  const desired = nodegroup.scalingConfig?.desiredSize ?? 0;
  const settled = nodegroup.status === 'ACTIVE' && (nodegroup.health?.issues ?? []).length === 0;
  return {
    exists: true,
    desired,
    pending: settled ? 0 : desired,
    ready: settled ? desired : 0,
    draining: 0,
  };
}

/**
 * `ComputePool` on EKS. The shadow pool is a managed nodegroup (`<nodegroup>-shadow` unless named)
 * copied from the primary's configuration (subnets, node role, AMI, launch template, capacity
 * type, labels, taints), labelled `shadowscale/pool=shadow`, tagged `shadowscale:managed=true`.
 * Pods reach the shadow target group through the AWS Load Balancer Controller (a
 * `TargetGroupBinding` for the shadow Deployment, scheduled onto these nodes by the label); this
 * adapter manages the nodes. Deploy-time branching adds the Kubernetes objects on top of it
 * (`EksBranchPool`, eks-branch.ts).
 */
export class EksComputePool implements ComputePool {
  constructor(private readonly client: EKSClient) {}

  private async nodegroup(cluster: string, name: string): Promise<Nodegroup | undefined> {
    try {
      const out = await this.client.send(
        new DescribeNodegroupCommand({ clusterName: cluster, nodegroupName: name }),
      );
      return out.nodegroup;
    } catch (error) {
      if (error instanceof Error && error.name === 'ResourceNotFoundException') return undefined;
      throw awsFailure(error, 'DescribeNodegroup');
    }
  }

  private names(workload: Workload, role: PoolRole): { cluster: string; name: string } {
    const compute = eks(workload);
    return {
      cluster: compute.cluster,
      name: role === 'primary' ? compute.nodegroup : shadowNodegroupName(compute),
    };
  }

  async describe(workload: Workload, role: PoolRole): Promise<PoolStatus> {
    const { cluster, name } = this.names(workload, role);
    return nodegroupStatus(await this.nodegroup(cluster, name));
  }

  async scale(workload: Workload, role: PoolRole, desired: number): Promise<void> {
    const { cluster, name } = this.names(workload, role);
    const found = await this.nodegroup(cluster, name);
    if (!nodegroupStatus(found).exists)
      throw new NotFoundError(`EKS nodegroup ${cluster}/${name} does not exist`);
    if (role === 'shadow') assertManagedTags(found?.tags, `EKS nodegroup ${cluster}/${name}`);
    await this.resize(cluster, name, found as Nodegroup, desired);
  }

  /** The nodegroup's minSize becomes the floor (its autoscaler keeps working above it). */
  async setFloor(workload: Workload, role: PoolRole, floor: number): Promise<void> {
    const { cluster, name } = this.names(workload, role);
    const found = await this.nodegroup(cluster, name);
    if (!nodegroupStatus(found).exists)
      throw new NotFoundError(`EKS nodegroup ${cluster}/${name} does not exist`);
    if (role === 'shadow') assertManagedTags(found?.tags, `EKS nodegroup ${cluster}/${name}`);
    const nodegroup = found as Nodegroup;
    const config = nodegroup.scalingConfig ?? {};
    const desired = Math.max(config.desiredSize ?? 0, floor);
    if (config.minSize === floor && config.desiredSize === desired) return;
    if (nodegroup.status !== 'ACTIVE' && nodegroup.status !== 'DEGRADED') {
      throw new TransientError(
        `EKS nodegroup ${cluster}/${name} is ${nodegroup.status}; retry when it is ACTIVE`,
      );
    }
    await this.update(cluster, name, {
      minSize: floor,
      maxSize: Math.max(config.maxSize ?? 1, desired, 1),
      desiredSize: desired,
    });
  }

  private async resize(cluster: string, name: string, nodegroup: Nodegroup, desired: number): Promise<void> {
    const config = nodegroup.scalingConfig ?? {};
    if (config.desiredSize === desired) return;
    if (nodegroup.status !== 'ACTIVE' && nodegroup.status !== 'DEGRADED') {
      // EKS refuses config updates while the nodegroup is creating or updating.
      throw new TransientError(
        `EKS nodegroup ${cluster}/${name} is ${nodegroup.status}; retry when it is ACTIVE`,
      );
    }
    await this.update(cluster, name, {
      minSize: Math.min(config.minSize ?? 0, desired),
      maxSize: Math.max(config.maxSize ?? 1, desired, 1),
      desiredSize: desired,
    });
  }

  private async update(
    cluster: string,
    name: string,
    scalingConfig: { minSize: number; maxSize: number; desiredSize: number },
  ): Promise<void> {
    try {
      await this.client.send(
        new UpdateNodegroupConfigCommand({ clusterName: cluster, nodegroupName: name, scalingConfig }),
      );
    } catch (error) {
      // An update already in progress: the state machine retries.
      if (error instanceof Error && error.name === 'ResourceInUseException') {
        throw new TransientError(`EKS nodegroup ${cluster}/${name} is busy: ${error.message}`, {
          cause: error,
        });
      }
      throw awsFailure(error, 'UpdateNodegroupConfig');
    }
  }

  async ensureShadow(workload: Workload, spec: ShadowSpec): Promise<PoolStatus> {
    const compute = eks(workload);
    const name = shadowNodegroupName(compute);
    const existing = await this.nodegroup(compute.cluster, name);
    if (existing?.status === 'DELETING') {
      throw new TransientError(
        `EKS nodegroup ${compute.cluster}/${name} is still being deleted; retry when it is gone`,
      );
    }
    if (existing) {
      assertManagedTags(existing.tags, `EKS nodegroup ${compute.cluster}/${name}`);
      if (existing.status === 'CREATING' || existing.status === 'UPDATING') return nodegroupStatus(existing);
      await this.resize(compute.cluster, name, existing, spec.units);
      return { ...nodegroupStatus(existing), desired: spec.units };
    }
    const primary = await this.nodegroup(compute.cluster, compute.nodegroup);
    if (!primary)
      throw new NotFoundError(`primary EKS nodegroup ${compute.cluster}/${compute.nodegroup} does not exist`);
    try {
      await this.client.send(
        new CreateNodegroupCommand(shadowNodegroupRequest(workload, primary, spec.units)),
      );
    } catch (error) {
      if (!(error instanceof Error && error.name === 'ResourceInUseException'))
        throw awsFailure(error, 'CreateNodegroup');
    }
    return nodegroupStatus(await this.nodegroup(compute.cluster, name));
  }

  async deleteShadow(workload: Workload): Promise<void> {
    const compute = eks(workload);
    const name = shadowNodegroupName(compute);
    const existing = await this.nodegroup(compute.cluster, name);
    if (!existing || existing.status === 'DELETING') return;
    assertManagedTags(existing.tags, `EKS nodegroup ${compute.cluster}/${name}`);
    try {
      await this.client.send(
        new DeleteNodegroupCommand({ clusterName: compute.cluster, nodegroupName: name }),
      );
    } catch (error) {
      if (error instanceof Error && error.name === 'ResourceNotFoundException') return;
      throw awsFailure(error, 'DeleteNodegroup');
    }
  }
}

function assertManagedTags(tags: Record<string, string> | undefined, what: string): void {
  if (tags?.[MANAGED_TAG] !== 'true') {
    throw new ConfigError(`${what} exists but is not tagged ${MANAGED_TAG}=true; refusing to manage it`);
  }
}

/** CreateNodegroup input for the shadow copy of `primary`. */
export function shadowNodegroupRequest(
  workload: Workload,
  primary: Nodegroup,
  units: number,
): CreateNodegroupCommandInput {
  const compute = eks(workload);
  if (!primary.subnets?.length || !primary.nodeRole) {
    throw new ConfigError(`primary nodegroup ${compute.nodegroup} has no subnets or node role to copy`);
  }
  const launchTemplate = primary.launchTemplate?.id
    ? {
        id: primary.launchTemplate.id,
        ...(primary.launchTemplate.version ? { version: primary.launchTemplate.version } : {}),
      }
    : undefined;
  const instanceTypes = compute.shadowInstanceTypes ?? primary.instanceTypes;
  return {
    clusterName: compute.cluster,
    nodegroupName: shadowNodegroupName(compute),
    scalingConfig: { minSize: 0, maxSize: Math.max(1, units), desiredSize: units },
    subnets: primary.subnets,
    nodeRole: primary.nodeRole,
    ...(instanceTypes?.length ? { instanceTypes } : {}),
    ...(primary.amiType ? { amiType: primary.amiType } : {}),
    ...(primary.capacityType ? { capacityType: primary.capacityType } : {}),
    // Disk size and remote access live in the launch template when there is one (EKS rejects both).
    ...(launchTemplate
      ? { launchTemplate }
      : {
          ...(primary.diskSize ? { diskSize: primary.diskSize } : {}),
          ...(primary.remoteAccess ? { remoteAccess: primary.remoteAccess } : {}),
        }),
    ...(primary.releaseVersion && !launchTemplate ? { releaseVersion: primary.releaseVersion } : {}),
    ...(primary.version ? { version: primary.version } : {}),
    ...(primary.taints?.length ? { taints: primary.taints } : {}),
    ...(primary.updateConfig ? { updateConfig: primary.updateConfig } : {}),
    labels: { ...(primary.labels ?? {}), [SHADOW_NODE_LABEL]: 'shadow' },
    tags: {
      ...Object.fromEntries(Object.entries(primary.tags ?? {}).filter(([k]) => isCopyableTagKey(k))),
      [MANAGED_TAG]: 'true',
      [WORKLOAD_TAG]: workload.workloadId,
    },
  };
}
