import { DescribeServicesCommand, DescribeTaskDefinitionCommand, type ECSClient } from '@aws-sdk/client-ecs';
import { DescribeNodegroupCommand, type EKSClient } from '@aws-sdk/client-eks';
import {
  DescribeTagsCommand,
  type ElasticLoadBalancingV2Client,
} from '@aws-sdk/client-elastic-load-balancing-v2';
import type { ComputeFacts, TaggedResource, WorkloadFacts } from '../preflight';
import type { Workload } from '../schemas/workload';
import { awsFailure } from './common';

/** "Does not exist" answers of the three services: the resource is reported missing, not an error. */
const NOT_FOUND = /NotFound/;

function tagMap(tags: readonly { Key?: string; Value?: string; key?: string; value?: string }[] | undefined) {
  const out: Record<string, string> = {};
  for (const t of tags ?? []) {
    const key = t.Key ?? t.key;
    if (key !== undefined) out[key] = t.Value ?? t.value ?? '';
  }
  return out;
}

/**
 * Reads what `preflightFindings` (shared/preflight.ts) needs about one workload: tags of its ALB
 * listener and rule (ELBv2 DescribeTags), its ECS service with tags and the task definition's
 * roles (DescribeServices, DescribeTaskDefinition), or its EKS nodegroup (DescribeNodegroup).
 * Read-only; a resource that does not exist comes back with `tags: undefined`.
 */
export class AwsPreflightReader {
  constructor(
    private readonly clients: {
      readonly elb: ElasticLoadBalancingV2Client;
      readonly ecs: ECSClient;
      readonly eks: EKSClient;
    },
  ) {}

  async read(workload: Workload): Promise<WorkloadFacts> {
    const { listenerArn, ruleArn } = workload.traffic;
    const [listener, rule] = await Promise.all([
      this.elbTags(listenerArn),
      ruleArn ? this.elbTags(ruleArn) : Promise.resolve(undefined),
    ]);
    return { listener, ...(rule ? { rule } : {}), compute: await this.compute(workload) };
  }

  private async elbTags(arn: string): Promise<TaggedResource> {
    try {
      const out = await this.clients.elb.send(new DescribeTagsCommand({ ResourceArns: [arn] }));
      const found = out.TagDescriptions?.find((d) => d.ResourceArn === arn);
      return { arn, tags: found ? tagMap(found.Tags) : undefined };
    } catch (error) {
      if (error instanceof Error && NOT_FOUND.test(error.name)) return { arn, tags: undefined };
      throw awsFailure(error, `DescribeTags ${arn}`);
    }
  }

  private async compute(workload: Workload): Promise<ComputeFacts> {
    const compute = workload.compute;
    if (compute.kind === 'ecs') {
      const name = `${compute.cluster}/${compute.service}`;
      const out = await this.clients.ecs
        .send(
          new DescribeServicesCommand({
            cluster: compute.cluster,
            services: [compute.service],
            include: ['TAGS'],
          }),
        )
        .catch((error: unknown) => {
          if (error instanceof Error && NOT_FOUND.test(error.name)) return undefined;
          throw awsFailure(error, `DescribeServices ${name}`);
        });
      const service = out?.services?.find((s) => s.status !== 'INACTIVE');
      if (!service) return { kind: 'ecs', service: { arn: `ECS service ${name}`, tags: undefined } };
      const arn = service.serviceArn ?? `ECS service ${name}`;
      let roles: { taskRoleArn?: string; executionRoleArn?: string } = {};
      if (service.taskDefinition) {
        const td = await this.clients.ecs
          .send(new DescribeTaskDefinitionCommand({ taskDefinition: service.taskDefinition }))
          .catch((error: unknown) => {
            throw awsFailure(error, `DescribeTaskDefinition ${service.taskDefinition}`);
          });
        const definition = td.taskDefinition;
        roles = {
          ...(definition?.taskRoleArn ? { taskRoleArn: definition.taskRoleArn } : {}),
          ...(definition?.executionRoleArn ? { executionRoleArn: definition.executionRoleArn } : {}),
        };
      }
      return { kind: 'ecs', service: { arn, tags: tagMap(service.tags) }, ...roles };
    }
    const name = `${compute.cluster}/${compute.nodegroup}`;
    try {
      const out = await this.clients.eks.send(
        new DescribeNodegroupCommand({ clusterName: compute.cluster, nodegroupName: compute.nodegroup }),
      );
      const nodegroup = out.nodegroup;
      if (!nodegroup) return { kind: 'eks', nodegroup: { arn: `EKS nodegroup ${name}`, tags: undefined } };
      return {
        kind: 'eks',
        nodegroup: {
          arn: nodegroup.nodegroupArn ?? `EKS nodegroup ${name}`,
          tags: { ...(nodegroup.tags ?? {}) },
        },
        ...(nodegroup.nodeRole ? { nodeRoleArn: nodegroup.nodeRole } : {}),
        ...(nodegroup.launchTemplate?.id ? { launchTemplateId: nodegroup.launchTemplate.id } : {}),
      };
    } catch (error) {
      if (error instanceof Error && NOT_FOUND.test(error.name))
        return { kind: 'eks', nodegroup: { arn: `EKS nodegroup ${name}`, tags: undefined } };
      throw awsFailure(error, `DescribeNodegroup ${name}`);
    }
  }
}
