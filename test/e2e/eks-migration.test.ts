import {
  CreateClusterCommand,
  CreateNodegroupCommand,
  DescribeNodegroupCommand,
  EKSClient,
} from '@aws-sdk/client-eks';
import { RegisterTargetsCommand } from '@aws-sdk/client-elastic-load-balancing-v2';
import { Workload } from '../../shared/schemas/workload';
import { workloadInput } from '../helpers/fixtures';
import { ecsWorld, REGION, readWeights, runMachine, seedGateMetrics, useMoto } from './harness';

jest.setTimeout(120_000);

describe('shadow-pool migration of an EKS managed nodegroup, on moto', () => {
  const moto = useMoto();

  it('creates the shadow nodegroup from the primary (without its aws: tags), moves traffic there and back, deletes it', async () => {
    const m = moto();
    // The ALB side is the same as for ECS; the ECS service of that world is not used here.
    const world = await ecsWorld(m);
    const eks = new EKSClient({ endpoint: m.endpoint, region: REGION });
    try {
      await eks.send(
        new CreateClusterCommand({
          name: 'prod-k8s',
          roleArn: 'arn:aws:iam::123456789012:role/eks',
          resourcesVpcConfig: { subnetIds: world.subnets },
        }),
      );
      await eks.send(
        new CreateNodegroupCommand({
          clusterName: 'prod-k8s',
          nodegroupName: 'web',
          nodeRole: 'arn:aws:iam::123456789012:role/nodes',
          subnets: world.subnets,
          instanceTypes: ['m7g.xlarge'],
          scalingConfig: { minSize: 2, maxSize: 12, desiredSize: 4 },
          labels: { app: 'checkout' },
          tags: { team: 'payments', 'aws:cloudformation:stack-name': 'prod-k8s' },
        }),
      );
      const base = workloadInput();
      await m.repos.workloads.create(
        Workload.parse({
          ...base,
          compute: { kind: 'eks', cluster: 'prod-k8s', nodegroup: 'web' },
          traffic: {
            listenerArn: world.listenerArn,
            primaryTargetGroupArn: world.primaryTargetGroupArn,
            shadowTargetGroupArn: world.shadowTargetGroupArn,
            loadBalancerDimension: world.loadBalancerDimension,
          },
        }),
      );
      const weights: number[] = [];
      const afterTask = async (state: string, target: string) => {
        if (state === 'Provision')
          // What the cluster's load-balancer controller does: the new nodes join the shadow group.
          await m.elb.send(
            new RegisterTargetsCommand({
              TargetGroupArn: world.shadowTargetGroupArn,
              Targets: [{ Id: '10.0.2.10', Port: 80 }],
            }),
          );
        if (state === 'Shift') {
          weights.push((await readWeights(m, world)).shadow);
          await seedGateMetrics(m, world, target, { p99Seconds: 0.1 });
        }
      };

      const migrated = await runMachine(
        'migration',
        { workloadId: 'checkout-api', shadowUnits: 3 },
        { name: 'eks-mig', afterTask: (state) => afterTask(state, world.shadowTargetGroupArn) },
      );

      expect([migrated.status, migrated.cause]).toEqual(['succeeded', undefined]);
      expect(weights).toEqual([10, 25, 50, 100]);
      const shadow = (
        await eks.send(new DescribeNodegroupCommand({ clusterName: 'prod-k8s', nodegroupName: 'web-shadow' }))
      ).nodegroup;
      expect(shadow).toMatchObject({
        status: 'ACTIVE',
        scalingConfig: { desiredSize: 3 },
        instanceTypes: ['m7g.xlarge'],
        labels: { app: 'checkout', 'shadowscale/pool': 'shadow' },
      });
      expect(shadow?.tags).toEqual({
        team: 'payments',
        'shadowscale:managed': 'true',
        'shadowscale:workload': 'checkout-api',
      });

      const returned = await runMachine(
        'return',
        { workloadId: 'checkout-api', force: true },
        { name: 'eks-ret', afterTask: (state) => afterTask(state, world.primaryTargetGroupArn) },
      );

      expect([returned.status, returned.cause]).toEqual(['succeeded', undefined]);
      expect(await readWeights(m, world)).toMatchObject({ primary: 100, shadow: 0 });
      const after = await eks
        .send(new DescribeNodegroupCommand({ clusterName: 'prod-k8s', nodegroupName: 'web-shadow' }))
        .then((out) => out.nodegroup?.status)
        .catch((error: Error) => error.name);
      expect(['ResourceNotFoundException', 'DELETING']).toContain(after);
    } finally {
      eks.destroy();
    }
  });
});
