import {
  type ApplicationAutoScalingClient,
  DescribeScalableTargetsCommand,
  RegisterScalableTargetCommand,
} from '@aws-sdk/client-application-auto-scaling';
import {
  type ContainerDefinition,
  CreateServiceCommand,
  type CreateServiceCommandInput,
  DeleteServiceCommand,
  DescribeServicesCommand,
  DescribeTaskDefinitionCommand,
  type ECSClient,
  RegisterTaskDefinitionCommand,
  type Service,
  type TaskDefinition,
  UpdateServiceCommand,
} from '@aws-sdk/client-ecs';
import { ConfigError, NotFoundError, TransientError } from '../errors';
import { isImageVersion } from '../pipeline/input';
import type { ComputePool, PoolRole, PoolStatus, ShadowSpec, VersionedPool } from '../ports/compute';
import type { Workload } from '../schemas/workload';
import { assertManaged, awsFailure, isCopyableTagKey, managedTags } from './common';

type EcsCompute = Extract<Workload['compute'], { kind: 'ecs' }>;

function ecs(workload: Workload): EcsCompute {
  if (workload.compute.kind !== 'ecs') {
    throw new ConfigError(`workload ${workload.workloadId} runs on ${workload.compute.kind}, not ECS`);
  }
  return workload.compute;
}

export function shadowServiceName(compute: EcsCompute): string {
  return compute.shadowService ?? `${compute.service}-shadow`;
}

async function call<T>(what: string, run: () => Promise<T>): Promise<T> {
  try {
    return await run();
  } catch (error) {
    throw awsFailure(error, what);
  }
}

const ABSENT: PoolStatus = { exists: false, desired: 0, pending: 0, ready: 0, draining: 0 };

function statusOf(service: Service | undefined): PoolStatus {
  if (!service || service.status === 'INACTIVE') return ABSENT;
  // A service being deleted still runs tasks that drain; it is not a pool to reuse.
  if (service.status === 'DRAINING') {
    return { exists: false, desired: 0, pending: 0, ready: 0, draining: service.runningCount ?? 0 };
  }
  // Tasks of older deployments still running during a rollout are draining.
  const primaryDeployment = service.deployments?.find((d) => d.status === 'PRIMARY');
  const running = service.runningCount ?? 0;
  const current = primaryDeployment?.runningCount ?? running;
  return {
    exists: true,
    desired: service.desiredCount ?? 0,
    pending: service.pendingCount ?? 0,
    ready: current,
    draining: Math.max(0, running - current),
  };
}

/** A version that is an image URI (a registry path with a tag or digest), not a task definition. */
export const isImage = isImageVersion;

/** The containers with `image` in the named container (default: the first one). */
export function withImage(
  containers: readonly ContainerDefinition[],
  image: string,
  containerName: string | undefined,
): ContainerDefinition[] {
  const index = containerName === undefined ? 0 : containers.findIndex((c) => c.name === containerName);
  if (index < 0) throw new ConfigError(`no container named ${containerName} in the task definition`);
  return containers.map((c, i) => (i === index ? { ...c, image } : c));
}

/** A copy of the primary's containers that fits a smaller task (container limits capped at the task's). */
export function shrinkContainers(
  containers: readonly ContainerDefinition[],
  cpu: number | undefined,
  memory: number | undefined,
): ContainerDefinition[] {
  return containers.map((c) => {
    const copy: ContainerDefinition = { ...c };
    if (cpu !== undefined && copy.cpu !== undefined && copy.cpu > cpu) copy.cpu = cpu;
    if (memory !== undefined && copy.memory !== undefined && copy.memory > memory) copy.memory = memory;
    if (memory !== undefined && copy.memoryReservation !== undefined && copy.memoryReservation > memory) {
      copy.memoryReservation = memory;
    }
    return copy;
  });
}

/**
 * `ComputePool` on ECS. The shadow pool is a second service (`<service>-shadow` unless named) in
 * the same cluster, running a copy of the primary's task definition registered as a revision of
 * the `<family>-shadow` family (optionally with a smaller task CPU/memory), registered with the
 * shadow target group. Everything it creates is tagged `shadowscale:managed=true` and
 * `shadowscale:workload=<id>`; it refuses to touch a same-named service without that tag.
 */
export class EcsComputePool implements ComputePool, VersionedPool {
  /**
   * `scaling` is the Application Auto Scaling client that owns the service's scalable target
   * (pre-warm sets its MinCapacity); without one, a floor only raises the desired count.
   */
  constructor(
    private readonly client: ECSClient,
    private readonly scaling?: ApplicationAutoScalingClient,
  ) {}

  private async service(cluster: string, name: string): Promise<Service | undefined> {
    const out = await call('DescribeServices', () =>
      this.client.send(new DescribeServicesCommand({ cluster, services: [name], include: ['TAGS'] })),
    );
    const found = out.services?.find((s) => s.serviceName === name);
    if (!found && out.failures?.some((f) => f.reason !== 'MISSING')) {
      throw new TransientError(`DescribeServices ${cluster}/${name}: ${JSON.stringify(out.failures)}`);
    }
    return found;
  }

  private name(workload: Workload, role: PoolRole): { cluster: string; name: string } {
    const compute = ecs(workload);
    return {
      cluster: compute.cluster,
      name: role === 'primary' ? compute.service : shadowServiceName(compute),
    };
  }

  async describe(workload: Workload, role: PoolRole): Promise<PoolStatus> {
    const { cluster, name } = this.name(workload, role);
    return statusOf(await this.service(cluster, name));
  }

  async scale(workload: Workload, role: PoolRole, desired: number): Promise<void> {
    const { cluster, name } = this.name(workload, role);
    const found = await this.service(cluster, name);
    if (!statusOf(found).exists) throw new NotFoundError(`ECS service ${cluster}/${name} does not exist`);
    if (role === 'shadow') assertManaged(found?.tags, `ECS service ${cluster}/${name}`);
    if (found?.desiredCount === desired) return;
    await call('UpdateService', () =>
      this.client.send(new UpdateServiceCommand({ cluster, service: name, desiredCount: desired })),
    );
  }

  /**
   * The service's own target tracking keeps scaling above the floor: its scalable target's
   * MinCapacity becomes the floor (MaxCapacity kept, raised only if below), then a desired count
   * below the floor is raised now. A service without a scalable target just gets the raise.
   */
  async setFloor(workload: Workload, role: PoolRole, floor: number): Promise<void> {
    const { cluster, name } = this.name(workload, role);
    if (this.scaling) {
      const scaling = this.scaling;
      const ResourceId = `service/${clusterName(cluster)}/${name}`;
      const key = {
        ServiceNamespace: 'ecs' as const,
        ScalableDimension: 'ecs:service:DesiredCount' as const,
      };
      const out = await call('DescribeScalableTargets', () =>
        scaling.send(new DescribeScalableTargetsCommand({ ...key, ResourceIds: [ResourceId] })),
      );
      const target = out.ScalableTargets?.find((t) => t.ResourceId === ResourceId);
      if (target && target.MinCapacity !== floor) {
        await call('RegisterScalableTarget', () =>
          scaling.send(
            new RegisterScalableTargetCommand({
              ...key,
              ResourceId,
              MinCapacity: floor,
              MaxCapacity: Math.max(target.MaxCapacity ?? floor, floor),
            }),
          ),
        );
      }
    }
    const found = await this.service(cluster, name);
    if (!statusOf(found).exists) throw new NotFoundError(`ECS service ${cluster}/${name} does not exist`);
    if ((found?.desiredCount ?? 0) < floor) {
      if (role === 'shadow') assertManaged(found?.tags, `ECS service ${cluster}/${name}`);
      await call('UpdateService', () =>
        this.client.send(new UpdateServiceCommand({ cluster, service: name, desiredCount: floor })),
      );
    }
  }

  async ensureShadow(workload: Workload, spec: ShadowSpec): Promise<PoolStatus> {
    const compute = ecs(workload);
    const { cluster } = compute;
    const name = shadowServiceName(compute);
    const existing = await this.service(cluster, name);
    if (existing?.status === 'DRAINING') {
      throw new TransientError(
        `ECS service ${cluster}/${name} is still being deleted; retry when it is gone`,
      );
    }
    if (statusOf(existing).exists) {
      assertManaged(existing?.tags, `ECS service ${cluster}/${name}`);
      // A shadow pool asked to run another version is rolled onto it (deploy-time branching).
      let taskDefinition: string | undefined;
      if (spec.version !== undefined) {
        const primary = await this.service(cluster, compute.service);
        if (primary) {
          const wanted = await this.shadowTaskDefinition(workload, primary, spec);
          if (wanted !== existing?.taskDefinition) taskDefinition = wanted;
        }
      }
      if (existing?.desiredCount !== spec.units || taskDefinition !== undefined) {
        await call('UpdateService', () =>
          this.client.send(
            new UpdateServiceCommand({
              cluster,
              service: name,
              desiredCount: spec.units,
              ...(taskDefinition ? { taskDefinition } : {}),
            }),
          ),
        );
      }
      return { ...statusOf(existing), desired: spec.units };
    }
    const primary = await this.service(cluster, compute.service);
    if (!primary || !statusOf(primary).exists) {
      throw new NotFoundError(`primary ECS service ${cluster}/${compute.service} does not exist`);
    }
    const taskDefinitionArn = await this.shadowTaskDefinition(workload, primary, spec);
    const request = shadowServiceRequest(workload, primary, taskDefinitionArn, spec.units);
    try {
      await this.client.send(new CreateServiceCommand(request));
    } catch (error) {
      // A concurrent or retried create already made it: reuse it.
      if (!(error instanceof Error && /idempotent|already exists/i.test(error.message))) {
        throw awsFailure(error, 'CreateService');
      }
    }
    return statusOf(await this.service(cluster, name));
  }

  /** Registers (or reuses the latest matching) revision of the `<family>-shadow` family. */
  private async shadowTaskDefinition(
    workload: Workload,
    primary: Service,
    spec: ShadowSpec,
  ): Promise<string> {
    // A version that is a task definition is the source; an image goes into the primary's.
    const image = spec.version !== undefined && isImage(spec.version) ? spec.version : undefined;
    const sourceArn =
      spec.version !== undefined && image === undefined ? spec.version : primary.taskDefinition;
    const out = await call('DescribeTaskDefinition', () =>
      this.client.send(new DescribeTaskDefinitionCommand({ taskDefinition: sourceArn, include: ['TAGS'] })),
    );
    const source = out.taskDefinition;
    if (!source?.family || !source.containerDefinitions) {
      throw new NotFoundError(`task definition ${sourceArn} not found`);
    }
    const family = `${source.family}-shadow`.slice(0, 255);
    const cpu = spec.taskCpu !== undefined ? String(spec.taskCpu) : source.cpu;
    const memory = spec.taskMemory !== undefined ? String(spec.taskMemory) : source.memory;
    const containers = shrinkContainers(
      image === undefined
        ? source.containerDefinitions
        : withImage(source.containerDefinitions, image, ecs(workload).containerName),
      spec.taskCpu,
      spec.taskMemory,
    );
    const latest = await this.latestRevision(family);
    if (
      latest?.taskDefinitionArn &&
      latest.cpu === cpu &&
      latest.memory === memory &&
      JSON.stringify(latest.containerDefinitions) === JSON.stringify(containers)
    ) {
      return latest.taskDefinitionArn;
    }
    const registered = await call('RegisterTaskDefinition', () =>
      this.client.send(
        new RegisterTaskDefinitionCommand({
          family,
          containerDefinitions: containers,
          taskRoleArn: source.taskRoleArn,
          executionRoleArn: source.executionRoleArn,
          networkMode: source.networkMode,
          volumes: source.volumes,
          placementConstraints: source.placementConstraints,
          requiresCompatibilities: source.requiresCompatibilities,
          cpu,
          memory,
          pidMode: source.pidMode,
          ipcMode: source.ipcMode,
          proxyConfiguration: source.proxyConfiguration,
          ephemeralStorage: source.ephemeralStorage,
          runtimePlatform: source.runtimePlatform,
          tags: [...(out.tags ?? []).filter((t) => isCopyableTagKey(t.key)), ...managedTags(workload)],
        }),
      ),
    );
    const arn = registered.taskDefinition?.taskDefinitionArn;
    if (!arn) throw new TransientError(`RegisterTaskDefinition ${family} returned no ARN`);
    return arn;
  }

  private async latestRevision(family: string): Promise<TaskDefinition | undefined> {
    try {
      const out = await this.client.send(new DescribeTaskDefinitionCommand({ taskDefinition: family }));
      return out.taskDefinition?.status === 'ACTIVE' ? out.taskDefinition : undefined;
    } catch (error) {
      if (error instanceof Error && /ClientException|InvalidParameter/.test(error.name)) return undefined;
      throw awsFailure(error, 'DescribeTaskDefinition');
    }
  }

  async version(workload: Workload, role: PoolRole): Promise<string | undefined> {
    const { cluster, name } = this.name(workload, role);
    const found = await this.service(cluster, name);
    return statusOf(found).exists ? found?.taskDefinition : undefined;
  }

  /**
   * UpdateService onto the version: a task definition as given, or an image registered as a new
   * revision of the pool's task definition (reused when the latest revision already has it).
   */
  async deploy(workload: Workload, role: PoolRole, version: string): Promise<void> {
    const { cluster, name } = this.name(workload, role);
    const found = await this.service(cluster, name);
    if (!found || !statusOf(found).exists)
      throw new NotFoundError(`ECS service ${cluster}/${name} does not exist`);
    if (role === 'shadow') assertManaged(found.tags, `ECS service ${cluster}/${name}`);
    const taskDefinition = isImage(version) ? await this.imageRevision(workload, found, version) : version;
    if (found.taskDefinition === taskDefinition) return;
    await call('UpdateService', () =>
      this.client.send(new UpdateServiceCommand({ cluster, service: name, taskDefinition })),
    );
  }

  private async imageRevision(workload: Workload, service: Service, image: string): Promise<string> {
    const out = await call('DescribeTaskDefinition', () =>
      this.client.send(
        new DescribeTaskDefinitionCommand({ taskDefinition: service.taskDefinition, include: ['TAGS'] }),
      ),
    );
    const source = out.taskDefinition;
    if (!source?.family || !source.containerDefinitions) {
      throw new NotFoundError(`task definition ${service.taskDefinition} not found`);
    }
    const containers = withImage(source.containerDefinitions, image, ecs(workload).containerName);
    const latest = await this.latestRevision(source.family);
    if (
      latest?.taskDefinitionArn &&
      JSON.stringify(latest.containerDefinitions) === JSON.stringify(containers)
    ) {
      return latest.taskDefinitionArn;
    }
    const registered = await call('RegisterTaskDefinition', () =>
      this.client.send(
        new RegisterTaskDefinitionCommand({
          family: source.family,
          containerDefinitions: containers,
          taskRoleArn: source.taskRoleArn,
          executionRoleArn: source.executionRoleArn,
          networkMode: source.networkMode,
          volumes: source.volumes,
          placementConstraints: source.placementConstraints,
          requiresCompatibilities: source.requiresCompatibilities,
          cpu: source.cpu,
          memory: source.memory,
          runtimePlatform: source.runtimePlatform,
          ephemeralStorage: source.ephemeralStorage,
          // Tagged like everything Shadowscale registers (its IAM allows only tagged registrations).
          tags: [
            ...(out.tags ?? []).filter((t) => !t.key?.startsWith('shadowscale:')),
            ...managedTags(workload),
          ],
        }),
      ),
    );
    const arn = registered.taskDefinition?.taskDefinitionArn;
    if (!arn) throw new TransientError(`RegisterTaskDefinition ${source.family} returned no ARN`);
    return arn;
  }

  async deleteShadow(workload: Workload): Promise<void> {
    const compute = ecs(workload);
    const name = shadowServiceName(compute);
    const existing = await this.service(compute.cluster, name);
    if (!statusOf(existing).exists) return;
    assertManaged(existing?.tags, `ECS service ${compute.cluster}/${name}`);
    // force: stops the tasks and deletes in one call, even with a non-zero desired count.
    await call('DeleteService', () =>
      this.client.send(new DeleteServiceCommand({ cluster: compute.cluster, service: name, force: true })),
    );
  }
}

/** Application Auto Scaling names a service by its cluster's name, never the cluster ARN. */
export function clusterName(cluster: string): string {
  const arn = /:cluster\/(.+)$/.exec(cluster);
  return arn?.[1] ?? cluster;
}

/** CreateService input for the shadow copy of `primary`, registered with the shadow target group. */
export function shadowServiceRequest(
  workload: Workload,
  primary: Service,
  taskDefinitionArn: string,
  units: number,
): CreateServiceCommandInput {
  const compute = ecs(workload);
  const mapping =
    primary.loadBalancers?.find((lb) => lb.targetGroupArn === workload.traffic.primaryTargetGroupArn) ??
    primary.loadBalancers?.[0];
  const containerName = compute.containerName ?? mapping?.containerName;
  const containerPort = compute.containerPort ?? mapping?.containerPort;
  if (!containerName || !containerPort) {
    throw new ConfigError(
      `workload ${workload.workloadId}: set compute.containerName and compute.containerPort (the primary service has no load balancer mapping to copy)`,
    );
  }
  return {
    cluster: compute.cluster,
    serviceName: shadowServiceName(compute),
    taskDefinition: taskDefinitionArn,
    desiredCount: units,
    loadBalancers: [{ targetGroupArn: workload.traffic.shadowTargetGroupArn, containerName, containerPort }],
    ...(primary.capacityProviderStrategy?.length
      ? { capacityProviderStrategy: primary.capacityProviderStrategy }
      : primary.launchType
        ? { launchType: primary.launchType }
        : {}),
    ...(primary.platformVersion ? { platformVersion: primary.platformVersion } : {}),
    ...(primary.networkConfiguration ? { networkConfiguration: primary.networkConfiguration } : {}),
    ...(primary.healthCheckGracePeriodSeconds !== undefined
      ? { healthCheckGracePeriodSeconds: primary.healthCheckGracePeriodSeconds }
      : {}),
    ...(primary.deploymentConfiguration ? { deploymentConfiguration: primary.deploymentConfiguration } : {}),
    ...(primary.placementConstraints?.length ? { placementConstraints: primary.placementConstraints } : {}),
    ...(primary.placementStrategy?.length ? { placementStrategy: primary.placementStrategy } : {}),
    enableECSManagedTags: true,
    propagateTags: 'SERVICE',
    tags: managedTags(workload),
  };
}
