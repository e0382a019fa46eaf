import {
  CreateNodegroupCommand,
  DeleteNodegroupCommand,
  DescribeNodegroupCommand,
  EKSClient,
  type Nodegroup,
  ResourceNotFoundException,
  UpdateNodegroupConfigCommand,
} from '@aws-sdk/client-eks';
import { mockClient } from 'aws-sdk-client-mock';
import { EksComputePool, nodegroupStatus } from '../../../shared/aws/eks-pool';
import { ConfigError, TransientError } from '../../../shared/errors';
import { Workload } from '../../../shared/schemas/workload';
import { workloadInput } from '../../helpers/fixtures';

const eks = mockClient(EKSClient);
const workload = Workload.parse({
  ...workloadInput(),
  compute: { kind: 'eks', cluster: 'prod', nodegroup: 'web', shadowInstanceTypes: ['m7g.large'] },
});
const MANAGED = { 'shadowscale:managed': 'true', 'shadowscale:workload': 'checkout-api' };

const primary: Nodegroup = {
  nodegroupName: 'web',
  clusterName: 'prod',
  status: 'ACTIVE',
  version: '1.33',
  capacityType: 'ON_DEMAND',
  amiType: 'AL2023_ARM_64_STANDARD',
  instanceTypes: ['m7g.xlarge'],
  subnets: ['subnet-1', 'subnet-2'],
  nodeRole: 'arn:aws:iam::123456789012:role/nodes',
  diskSize: 50,
  scalingConfig: { minSize: 3, maxSize: 12, desiredSize: 6 },
  labels: { app: 'checkout' },
  taints: [{ key: 'dedicated', value: 'checkout', effect: 'NO_SCHEDULE' }],
  tags: { team: 'payments' },
};

function nodegroups(byName: Record<string, Nodegroup | undefined>): void {
  eks.on(DescribeNodegroupCommand).callsFake(async (input: { nodegroupName: string }) => {
    const found = byName[input.nodegroupName];
    if (!found) throw new ResourceNotFoundException({ message: 'No node group found', $metadata: {} });
    return { nodegroup: found };
  });
}

beforeEach(() => eks.reset());

describe('EksComputePool.ensureShadow', () => {
  it('creates a shadow managed nodegroup copied from the primary', async () => {
    nodegroups({ web: primary });
    eks.on(CreateNodegroupCommand).resolves({});
    await new EksComputePool(new EKSClient({})).ensureShadow(workload, { units: 3 });
    expect(eks.commandCalls(CreateNodegroupCommand)[0]?.args[0].input).toEqual({
      clusterName: 'prod',
      nodegroupName: 'web-shadow',
      scalingConfig: { minSize: 0, maxSize: 3, desiredSize: 3 },
      subnets: ['subnet-1', 'subnet-2'],
      nodeRole: 'arn:aws:iam::123456789012:role/nodes',
      instanceTypes: ['m7g.large'],
      amiType: 'AL2023_ARM_64_STANDARD',
      capacityType: 'ON_DEMAND',
      diskSize: 50,
      version: '1.33',
      taints: primary.taints,
      labels: { app: 'checkout', 'shadowscale/pool': 'shadow' },
      tags: { team: 'payments', ...MANAGED },
    });
  });

  it('copies none of the tags AWS reserves (aws:...) or owns by us, which CreateNodegroup would reject', async () => {
    nodegroups({
      web: {
        ...primary,
        tags: {
          team: 'payments',
          'aws:cloudformation:stack-name': 'prod-eks',
          'AWS:Reserved': 'x',
          'shadowscale:workload': 'other',
        },
      },
    });
    eks.on(CreateNodegroupCommand).resolves({});
    await new EksComputePool(new EKSClient({})).ensureShadow(workload, { units: 3 });
    expect(eks.commandCalls(CreateNodegroupCommand)[0]?.args[0].input.tags).toEqual({
      team: 'payments',
      ...MANAGED,
    });
  });

  it('copies the launch template instead of disk size', async () => {
    nodegroups({ web: { ...primary, launchTemplate: { id: 'lt-123', version: '4', name: 'web' } } });
    eks.on(CreateNodegroupCommand).resolves({});
    await new EksComputePool(new EKSClient({})).ensureShadow(workload, { units: 2 });
    const input = eks.commandCalls(CreateNodegroupCommand)[0]?.args[0].input;
    expect(input?.launchTemplate).toEqual({ id: 'lt-123', version: '4' });
    expect(input?.diskSize).toBeUndefined();
  });

  it('a rerun reuses the shadow nodegroup and only resizes it', async () => {
    nodegroups({
      web: primary,
      'web-shadow': {
        ...primary,
        nodegroupName: 'web-shadow',
        scalingConfig: { minSize: 0, maxSize: 1, desiredSize: 0 },
        tags: MANAGED,
      },
    });
    await new EksComputePool(new EKSClient({})).ensureShadow(workload, { units: 4 });
    expect(eks.commandCalls(CreateNodegroupCommand)).toHaveLength(0);
    expect(eks.commandCalls(UpdateNodegroupConfigCommand)[0]?.args[0].input).toEqual({
      clusterName: 'prod',
      nodegroupName: 'web-shadow',
      scalingConfig: { minSize: 0, maxSize: 4, desiredSize: 4 },
    });
  });

  it('leaves a nodegroup that is still creating alone', async () => {
    nodegroups({ 'web-shadow': { ...primary, status: 'CREATING', tags: MANAGED } });
    const status = await new EksComputePool(new EKSClient({})).ensureShadow(workload, { units: 4 });
    expect(status).toMatchObject({ exists: true, ready: 0, pending: 6 });
    expect(eks.commandCalls(UpdateNodegroupConfigCommand)).toHaveLength(0);
  });

  it('refuses an unmanaged nodegroup with the shadow name', async () => {
    nodegroups({ 'web-shadow': { ...primary, tags: {} } });
    await expect(new EksComputePool(new EKSClient({})).ensureShadow(workload, { units: 4 })).rejects.toThrow(
      ConfigError,
    );
  });

  it('waits while the old shadow is being deleted', async () => {
    nodegroups({ 'web-shadow': { ...primary, status: 'DELETING', tags: MANAGED } });
    await expect(new EksComputePool(new EKSClient({})).ensureShadow(workload, { units: 4 })).rejects.toThrow(
      TransientError,
    );
  });
});

describe('EksComputePool scale / delete', () => {
  it('scales the shadow to zero, then deletes it', async () => {
    nodegroups({
      'web-shadow': { ...primary, scalingConfig: { minSize: 1, maxSize: 6, desiredSize: 6 }, tags: MANAGED },
    });
    const pool = new EksComputePool(new EKSClient({}));
    await pool.scale(workload, 'shadow', 0);
    await pool.deleteShadow(workload);
    expect(eks.commandCalls(UpdateNodegroupConfigCommand)[0]?.args[0].input.scalingConfig).toEqual({
      minSize: 0,
      maxSize: 6,
      desiredSize: 0,
    });
    expect(eks.commandCalls(DeleteNodegroupCommand)[0]?.args[0].input).toEqual({
      clusterName: 'prod',
      nodegroupName: 'web-shadow',
    });
  });

  it('deleting an absent shadow is a no-op', async () => {
    nodegroups({});
    await new EksComputePool(new EKSClient({})).deleteShadow(workload);
    expect(eks.commandCalls(DeleteNodegroupCommand)).toHaveLength(0);
  });
});

describe('nodegroupStatus', () => {
  it.each<[string, Nodegroup | undefined, object]>([
    ['absent', undefined, { exists: false }],
    ['deleting', { status: 'DELETING' }, { exists: false }],
    [
      'active',
      { status: 'ACTIVE', scalingConfig: { desiredSize: 3 } },
      { exists: true, desired: 3, ready: 3, pending: 0 },
    ],
    [
      'creating',
      { status: 'CREATING', scalingConfig: { desiredSize: 3 } },
      { exists: true, ready: 0, pending: 3 },
    ],
    [
      'active with health issues',
      {
        status: 'ACTIVE',
        scalingConfig: { desiredSize: 3 },
        health: { issues: [{ code: 'Ec2InstanceTypeDoesNotExist' }] },
      },
      { exists: true, ready: 0 },
    ],
  ])('%s', (_name, nodegroup, expected) => {
    expect(nodegroupStatus(nodegroup)).toMatchObject(expected);
  });
});
