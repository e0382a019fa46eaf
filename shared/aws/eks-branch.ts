import { ConfigError, NotFoundError } from '../errors';
import { isImageVersion } from '../pipeline/input';
import { shadowReplicasFor, unitsOfReplicas } from '../planning/sizing';
import type { ComputePool, PoolRole, PoolStatus, ShadowSpec, VersionedPool } from '../ports/compute';
import type { KubeObject, KubeObjectRef, KubernetesApi } from '../ports/kubernetes';
import type { KubernetesWorkload, Workload } from '../schemas/workload';
import { SHADOW_NODE_LABEL } from './eks-pool';

/**
 * The environment deploy-time branching stands up for an EKS workload: the shadow nodegroup (the
 * nodes, through the EKS `ComputePool`) and, through the Kubernetes API, a shadow Deployment
 * cloned from the primary's with the new image, scheduled onto the shadow nodes
 * (`nodeSelector shadowscale/pool=shadow`, the label the shadow nodegroup carries), a Service over
 * its pods, and a `TargetGroupBinding` (AWS Load Balancer Controller, elbv2.k8s.aws/v1beta1) that
 * registers them in the workload's shadow target group. The version is the image of the
 * workload's container; rolling the primary onto a version patches the primary Deployment's
 * image (a rolling update, like `kubectl set image`).
 *
 * Every creation is create-or-get: a rerun finds what exists (labelled
 * `app.kubernetes.io/managed-by=shadowscale`) and converges it; an object of a shadow name that
 * Shadowscale did not create is refused (ConfigError), never changed or deleted.
 */
export const MANAGED_BY_LABEL = 'app.kubernetes.io/managed-by';
export const MANAGED_BY = 'shadowscale';
export const WORKLOAD_LABEL = 'shadowscale/workload';
export const VERSION_ANNOTATION = 'shadowscale/version';
/** Node label EKS sets on every node of a managed nodegroup: a primary pinned by it would never fit a shadow node. */
const NODEGROUP_LABEL = 'eks.amazonaws.com/nodegroup';

type EksCompute = Extract<Workload['compute'], { kind: 'eks' }>;

export interface KubeTarget {
  cluster: string;
  k8s: KubernetesWorkload;
  shadowName: string;
}

/** The workload's Kubernetes objects; ConfigError when it has none (not an EKS workload, or no `kubernetes`). */
export function kubeTarget(workload: Workload): KubeTarget {
  const compute = workload.compute;
  if (compute.kind !== 'eks') {
    throw new ConfigError(`workload ${workload.workloadId} runs on ${compute.kind}, not EKS`);
  }
  const k8s = (compute as EksCompute).kubernetes;
  if (!k8s) {
    throw new ConfigError(
      `workload ${workload.workloadId}: field \`compute.kubernetes\` missing: deploy-time branching on EKS needs the Deployment to drive`,
    );
  }
  return { cluster: compute.cluster, k8s, shadowName: k8s.shadowName ?? `${k8s.deployment}-shadow` };
}

export function objectRef(target: KubeTarget, kind: KubeObjectRef['kind'], role: PoolRole): KubeObjectRef {
  return {
    cluster: target.cluster,
    kind,
    namespace: target.k8s.namespace,
    name: role === 'primary' ? target.k8s.deployment : target.shadowName,
  };
}

// Reading Deployments ---------------------------------------------------------------------------

interface Container {
  name: string;
  image?: string;
  ports?: { containerPort?: number }[];
}

interface PodTemplate {
  metadata?: { labels?: Record<string, string>; annotations?: Record<string, string> };
  spec?: Record<string, unknown> & { containers?: Container[] };
}

function templateOf(deployment: KubeObject): PodTemplate {
  return ((deployment.spec ?? {}) as { template?: PodTemplate }).template ?? {};
}

function containersOf(deployment: KubeObject): Container[] {
  const containers = templateOf(deployment).spec?.containers;
  return Array.isArray(containers) ? containers : [];
}

/** The container a version replaces: the named one, else the first. */
export function workloadContainer(deployment: KubeObject, k8s: KubernetesWorkload): Container {
  const containers = containersOf(deployment);
  const found =
    k8s.container === undefined ? containers[0] : containers.find((c) => c.name === k8s.container);
  if (!found) {
    throw new ConfigError(
      k8s.container === undefined
        ? `Deployment ${deployment.metadata.name} has no container`
        : `Deployment ${deployment.metadata.name} has no container named ${k8s.container} (field \`compute.kubernetes.container\`)`,
    );
  }
  return found;
}

function num(value: unknown): number {
  return typeof value === 'number' && Number.isFinite(value) ? value : 0;
}

/** A Deployment's rollout, from its spec and status (the fields `kubectl rollout status` reads). */
export interface Rollout {
  /** Replicas the spec asks for. */
  wanted: number;
  /** Pods of the current template. */
  updated: number;
  /** Available pods, of any template. */
  available: number;
  /** Pods of older templates still running. */
  old: number;
  /** The controller has seen the latest spec (until then the counts describe an older one). */
  observed: boolean;
  /** Observed, and every wanted pod runs the spec, available, none older left. */
  complete: boolean;
}

export function rolloutOf(deployment: KubeObject): Rollout {
  const spec = (deployment.spec ?? {}) as { replicas?: unknown };
  const status = (deployment.status ?? {}) as Record<string, unknown>;
  const wanted = spec.replicas === undefined ? 1 : num(spec.replicas);
  const replicas = num(status.replicas);
  const updated = num(status.updatedReplicas);
  const available = num(status.availableReplicas);
  const old = Math.max(0, replicas - updated);
  const observed = num(status.observedGeneration) >= num(deployment.metadata.generation);
  return {
    wanted,
    updated,
    available,
    old,
    observed,
    complete: observed && updated >= wanted && old === 0 && available >= wanted,
  };
}

const ABSENT: PoolStatus = { exists: false, desired: 0, pending: 0, ready: 0, draining: 0 };

/**
 * The pool as the branch sees it, in units (nodes): it exists when both the nodes and the
 * Deployment do; ready units are the ready nodes while the Deployment's rollout is complete, and
 * otherwise only as many nodes' worth as its new pods are available (none before the controller
 * has observed the latest spec); pods of an older template still running count as draining.
 */
export function branchPoolStatus(
  nodes: PoolStatus,
  deployment: KubeObject | undefined,
  replicasPerNode: number,
): PoolStatus {
  if (!nodes.exists || !deployment || deployment.metadata.deletionTimestamp) return ABSENT;
  const r = rolloutOf(deployment);
  if (r.complete) return nodes;
  // Counts of a spec the controller has not seen yet say nothing about the new pods.
  const newAvailable = r.observed ? Math.max(0, Math.min(r.updated, r.available - r.old)) : 0;
  const ready = Math.min(nodes.ready, unitsOfReplicas(newAvailable, replicasPerNode));
  return {
    exists: true,
    desired: nodes.desired,
    ready,
    pending: Math.max(0, nodes.desired - ready),
    draining: r.old > 0 ? Math.max(1, Math.ceil(r.old / Math.max(1, replicasPerNode))) : nodes.draining,
  };
}

// Building the shadow objects -------------------------------------------------------------------

/** A label value (at most 63 characters, alphanumeric at both ends). */
function labelValue(value: string): string {
  return value.slice(0, 63).replace(/[^A-Za-z0-9]+$/, '');
}

export function managedLabels(workload: Workload): Record<string, string> {
  return { [MANAGED_BY_LABEL]: MANAGED_BY, [WORKLOAD_LABEL]: workload.workloadId };
}

/** What selects the shadow pods (and nothing else): its own Service and TargetGroupBinding use it. */
export function shadowSelector(workload: Workload): Record<string, string> {
  return { [WORKLOAD_LABEL]: workload.workloadId, [SHADOW_NODE_LABEL]: 'shadow' };
}

/**
 * The shadow pods' labels: the primary's, except that each label the primary's selector uses gets
 * a `-shadow` value, so the primary's Deployment and Service (hence its target group) never
 * select a shadow pod; plus the shadow selector.
 */
export function shadowPodLabels(workload: Workload, primary: KubeObject): Record<string, string> {
  const selector =
    ((primary.spec ?? {}) as { selector?: { matchLabels?: Record<string, string> } }).selector?.matchLabels ??
    {};
  const labels: Record<string, string> = { ...(templateOf(primary).metadata?.labels ?? {}) };
  for (const [key, value] of Object.entries(selector))
    labels[key] = `${labelValue(value).slice(0, 56)}-shadow`;
  return { ...labels, ...shadowSelector(workload) };
}

/** The primary's pod spec on the shadow nodes: pinned by the shadow label, not by the primary's nodegroup. */
function shadowPodSpec(primary: KubeObject, k8s: KubernetesWorkload, image: string): Record<string, unknown> {
  const spec = { ...(templateOf(primary).spec ?? {}) } as Record<string, unknown> & {
    containers?: Container[];
  };
  const target = workloadContainer(primary, k8s).name;
  const nodeSelector = { ...((spec.nodeSelector as Record<string, string> | undefined) ?? {}) };
  delete nodeSelector[NODEGROUP_LABEL];
  const affinity = { ...((spec.affinity as Record<string, unknown> | undefined) ?? {}) };
  // The primary's node affinity keeps it on its own nodes; the shadow's nodes are chosen by label.
  delete affinity.nodeAffinity;
  const { affinity: _dropped, ...rest } = spec;
  return {
    ...rest,
    ...(Object.keys(affinity).length > 0 ? { affinity } : {}),
    nodeSelector: { ...nodeSelector, [SHADOW_NODE_LABEL]: 'shadow' },
    containers: (spec.containers ?? []).map((c) => (c.name === target ? { ...c, image } : c)),
  };
}

export function shadowDeployment(
  workload: Workload,
  primary: KubeObject,
  image: string,
  replicas: number,
): KubeObject {
  const target = kubeTarget(workload);
  const template = templateOf(primary);
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: {
      name: target.shadowName,
      namespace: target.k8s.namespace,
      labels: managedLabels(workload),
      annotations: { [VERSION_ANNOTATION]: image },
    },
    spec: {
      replicas,
      selector: { matchLabels: shadowSelector(workload) },
      template: {
        metadata: {
          labels: shadowPodLabels(workload, primary),
          ...(template.metadata?.annotations ? { annotations: template.metadata.annotations } : {}),
        },
        spec: shadowPodSpec(primary, target.k8s, image),
      },
    },
  };
}

/** The port the shadow target group reaches: configured, else the container's first. */
export function servicePort(workload: Workload, primary: KubeObject): number {
  const target = kubeTarget(workload);
  const port = target.k8s.containerPort ?? workloadContainer(primary, target.k8s).ports?.[0]?.containerPort;
  if (!port) {
    throw new ConfigError(
      `workload ${workload.workloadId}: field \`compute.kubernetes.containerPort\` missing and container ${workloadContainer(primary, target.k8s).name} declares no port`,
    );
  }
  return port;
}

export function shadowService(workload: Workload, port: number): KubeObject {
  const target = kubeTarget(workload);
  return {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name: target.shadowName, namespace: target.k8s.namespace, labels: managedLabels(workload) },
    spec: {
      // Instance targets reach pods through a node port; IP targets reach them directly.
      type: target.k8s.targetType === 'instance' ? 'NodePort' : 'ClusterIP',
      selector: shadowSelector(workload),
      ports: [{ name: 'shadow', protocol: 'TCP', port, targetPort: port }],
    },
  };
}

/**
 * The binding of the shadow Service to the shadow target group.
 * https://kubernetes-sigs.github.io/aws-load-balancer-controller/latest/guide/targetgroupbinding/spec/
 */
export function shadowTargetGroupBinding(workload: Workload, port: number): KubeObject {
  const target = kubeTarget(workload);
  return {
    apiVersion: 'elbv2.k8s.aws/v1beta1',
    kind: 'TargetGroupBinding',
    metadata: { name: target.shadowName, namespace: target.k8s.namespace, labels: managedLabels(workload) },
    spec: {
      serviceRef: { name: target.shadowName, port },
      targetGroupARN: workload.traffic.shadowTargetGroupArn,
      targetType: target.k8s.targetType,
      // Instance targets: only the shadow nodes are registered.
      ...(target.k8s.targetType === 'instance'
        ? { nodeSelector: { matchLabels: { [SHADOW_NODE_LABEL]: 'shadow' } } }
        : {}),
    },
  };
}

function assertManagedObject(object: KubeObject, ref: KubeObjectRef): void {
  if (object.metadata.labels?.[MANAGED_BY_LABEL] !== MANAGED_BY) {
    throw new ConfigError(
      `${ref.kind}/${ref.name} in namespace ${ref.namespace} exists but is not labelled ${MANAGED_BY_LABEL}=${MANAGED_BY}; refusing to manage it (set compute.kubernetes.shadowName to another name)`,
    );
  }
}

/** The version a Deployment runs: its workload container's image. */
export function imageOf(deployment: KubeObject, k8s: KubernetesWorkload): string | undefined {
  return workloadContainer(deployment, k8s).image;
}

// The pool -----------------------------------------------------------------------------------

/**
 * `ComputePool` and `VersionedPool` of an EKS workload for deploy-time branching: `nodes` is the
 * EKS nodegroup pool (shadow nodegroup copied from the primary's), `kube` the cluster's API.
 */
export class EksBranchPool implements ComputePool, VersionedPool {
  constructor(
    private readonly nodes: ComputePool,
    private readonly kube: KubernetesApi,
  ) {}

  async describe(workload: Workload, role: PoolRole): Promise<PoolStatus> {
    const target = kubeTarget(workload);
    const [nodes, deployment] = await Promise.all([
      this.nodes.describe(workload, role),
      this.kube.get(objectRef(target, 'deployments', role)),
    ]);
    return branchPoolStatus(nodes, deployment, role === 'shadow' ? target.k8s.replicasPerNode : 1);
  }

  /** Nodes, and for the shadow its pods with them; the primary's pods keep their own scaling. */
  async scale(workload: Workload, role: PoolRole, desired: number): Promise<void> {
    await this.nodes.scale(workload, role, desired);
    if (role !== 'shadow') return;
    const target = kubeTarget(workload);
    const ref = objectRef(target, 'deployments', 'shadow');
    const found = await this.kube.get(ref);
    if (!found) return;
    assertManagedObject(found, ref);
    const replicas = shadowReplicasFor(desired, target.k8s.replicasPerNode);
    if (num(found.spec?.replicas) !== replicas) {
      await this.kube.patch(ref, { spec: { replicas } }, 'strategic');
    }
  }

  setFloor(workload: Workload, role: PoolRole, floor: number): Promise<void> {
    return this.nodes.setFloor(workload, role, floor);
  }

  async ensureShadow(workload: Workload, spec: ShadowSpec): Promise<PoolStatus> {
    const target = kubeTarget(workload);
    const primaryRef = objectRef(target, 'deployments', 'primary');
    const primary = await this.kube.get(primaryRef);
    if (!primary)
      throw new NotFoundError(`primary Deployment ${primaryRef.namespace}/${primaryRef.name} does not exist`);
    const image = spec.version ?? imageOf(primary, target.k8s);
    if (!image || !isImageVersion(image)) {
      throw new ConfigError(`an EKS shadow environment runs a container image; ${String(image)} is not one`);
    }
    const port = servicePort(workload, primary);
    const nodes = await this.nodes.ensureShadow(workload, { units: spec.units });
    const replicas = shadowReplicasFor(spec.units, target.k8s.replicasPerNode);
    const deployment = await this.ensureDeployment(workload, target, primary, image, replicas);
    await this.createOrGet(objectRef(target, 'services', 'shadow'), shadowService(workload, port));
    const bindingRef = objectRef(target, 'targetgroupbindings', 'shadow');
    const binding = await this.createOrGet(bindingRef, shadowTargetGroupBinding(workload, port));
    const boundTo = binding.spec?.targetGroupARN;
    if (boundTo !== workload.traffic.shadowTargetGroupArn) {
      await this.kube.patch(
        bindingRef,
        { spec: { targetGroupARN: workload.traffic.shadowTargetGroupArn } },
        'merge',
      );
    }
    return branchPoolStatus(nodes, deployment, target.k8s.replicasPerNode);
  }

  private async ensureDeployment(
    workload: Workload,
    target: KubeTarget,
    primary: KubeObject,
    image: string,
    replicas: number,
  ): Promise<KubeObject> {
    const ref = objectRef(target, 'deployments', 'shadow');
    const { object, created } = await this.kube.create(
      ref,
      shadowDeployment(workload, primary, image, replicas),
    );
    if (created) return object;
    assertManagedObject(object, ref);
    // Found on a rerun (or left by an earlier deployment): converge it onto this version and size.
    if (imageOf(object, target.k8s) === image && num(object.spec?.replicas) === replicas) return object;
    const container = workloadContainer(object, target.k8s).name;
    return this.kube.patch(
      ref,
      {
        metadata: { annotations: { [VERSION_ANNOTATION]: image } },
        spec: { replicas, template: { spec: { containers: [{ name: container, image }] } } },
      },
      'strategic',
    );
  }

  private async createOrGet(ref: KubeObjectRef, body: KubeObject): Promise<KubeObject> {
    const { object, created } = await this.kube.create(ref, body);
    if (!created) assertManagedObject(object, ref);
    return object;
  }

  /** The binding first (targets deregistered while the pods still answer), then Service, Deployment, nodes. */
  async deleteShadow(workload: Workload): Promise<void> {
    const target = kubeTarget(workload);
    for (const kind of ['targetgroupbindings', 'services', 'deployments'] as const) {
      const ref = objectRef(target, kind, 'shadow');
      const found = await this.kube.get(ref);
      if (!found || found.metadata.deletionTimestamp) continue;
      assertManagedObject(found, ref);
      await this.kube.delete(ref);
    }
    await this.nodes.deleteShadow(workload);
  }

  async version(workload: Workload, role: PoolRole): Promise<string | undefined> {
    const target = kubeTarget(workload);
    const found = await this.kube.get(objectRef(target, 'deployments', role));
    return found ? imageOf(found, target.k8s) : undefined;
  }

  /** Patches the Deployment's container image (strategic merge by container name): a rolling update. */
  async deploy(workload: Workload, role: PoolRole, version: string): Promise<void> {
    if (!isImageVersion(version)) {
      throw new ConfigError(`an EKS Deployment runs a container image; ${version} is not one`);
    }
    const target = kubeTarget(workload);
    const ref = objectRef(target, 'deployments', role);
    const found = await this.kube.get(ref);
    if (!found) throw new NotFoundError(`Deployment ${ref.namespace}/${ref.name} does not exist`);
    if (role === 'shadow') assertManagedObject(found, ref);
    if (imageOf(found, target.k8s) === version) return;
    const container = workloadContainer(found, target.k8s).name;
    await this.kube.patch(
      ref,
      { spec: { template: { spec: { containers: [{ name: container, image: version }] } } } },
      'strategic',
    );
  }
}
