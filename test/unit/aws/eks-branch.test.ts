import {
  branchPoolStatus,
  imageOf,
  MANAGED_BY_LABEL,
  rolloutOf,
  shadowDeployment,
  shadowService,
  shadowTargetGroupBinding,
} from '../../../shared/aws/eks-branch';
import { SHADOW_NODE_LABEL } from '../../../shared/aws/eks-pool';
import { shadowReplicasFor, unitsOfReplicas } from '../../../shared/planning/sizing';
import type { PoolStatus } from '../../../shared/ports/compute';
import type { KubeObject } from '../../../shared/ports/kubernetes';
import { Workload, type WorkloadInput } from '../../../shared/schemas/workload';
import { workloadInput } from '../../helpers/fixtures';

/** The EKS shadow environment's pure parts: the objects it creates and how it reads a rollout. */
function eksWorkload(
  kubernetes: Record<string, unknown> = { namespace: 'shop', deployment: 'web' },
): Workload {
  const input = workloadInput();
  input.compute = {
    kind: 'eks',
    cluster: 'prod',
    nodegroup: 'web-nodes',
    kubernetes,
  } as WorkloadInput['compute'];
  return Workload.parse(input);
}

const PRIMARY: KubeObject = {
  apiVersion: 'apps/v1',
  kind: 'Deployment',
  metadata: { name: 'web', namespace: 'shop', generation: 3 },
  spec: {
    replicas: 6,
    selector: { matchLabels: { app: 'web' } },
    template: {
      metadata: { labels: { app: 'web', team: 'shop' }, annotations: { 'prometheus.io/scrape': 'true' } },
      spec: {
        serviceAccountName: 'web',
        nodeSelector: { 'eks.amazonaws.com/nodegroup': 'web-nodes', 'kubernetes.io/arch': 'arm64' },
        affinity: { nodeAffinity: { x: 1 }, podAntiAffinity: { y: 2 } },
        containers: [
          { name: 'sidecar', image: 'r/envoy:1' },
          { name: 'web', image: 'r/web:41', ports: [{ containerPort: 8080 }] },
        ],
      },
    },
  },
};

describe('shadow objects', () => {
  const workload = eksWorkload({ namespace: 'shop', deployment: 'web', container: 'web' });

  it('the shadow Deployment is the primary on the new image, pinned to the shadow nodes, selected apart', () => {
    const d = shadowDeployment(workload, PRIMARY, 'r/web:42', 4);
    const spec = d.spec as {
      replicas: number;
      selector: { matchLabels: Record<string, string> };
      template: { metadata: { labels: Record<string, string> }; spec: Record<string, unknown> };
    };
    expect(d.metadata).toMatchObject({
      name: 'web-shadow',
      namespace: 'shop',
      labels: { [MANAGED_BY_LABEL]: 'shadowscale' },
    });
    expect(spec.replicas).toBe(4);
    expect(spec.selector.matchLabels).toEqual({
      'shadowscale/workload': workload.workloadId,
      [SHADOW_NODE_LABEL]: 'shadow',
    });
    // The primary's selector label gets another value, so its Service never selects a shadow pod.
    expect(spec.template.metadata.labels).toMatchObject({
      app: 'web-shadow',
      team: 'shop',
      [SHADOW_NODE_LABEL]: 'shadow',
    });
    expect(spec.template.spec.nodeSelector).toEqual({
      'kubernetes.io/arch': 'arm64',
      [SHADOW_NODE_LABEL]: 'shadow',
    });
    expect(spec.template.spec.affinity).toEqual({ podAntiAffinity: { y: 2 } });
    expect(spec.template.spec.serviceAccountName).toBe('web');
    expect(spec.template.spec.containers).toEqual([
      { name: 'sidecar', image: 'r/envoy:1' },
      { name: 'web', image: 'r/web:42', ports: [{ containerPort: 8080 }] },
    ]);
    expect(imageOf(d, { ...workloadK8s(workload) })).toBe('r/web:42');
  });

  it.each<['ip' | 'instance', string, boolean]>([
    ['ip', 'ClusterIP', false],
    ['instance', 'NodePort', true],
  ])(
    'target type %s: a %s Service and a binding to the shadow target group',
    (targetType, serviceType, nodeSelector) => {
      const w = eksWorkload({ namespace: 'shop', deployment: 'web', targetType });
      const service = shadowService(w, 8080);
      const binding = shadowTargetGroupBinding(w, 8080);
      expect(service.spec).toMatchObject({ type: serviceType, ports: [{ port: 8080, targetPort: 8080 }] });
      expect(binding).toMatchObject({
        apiVersion: 'elbv2.k8s.aws/v1beta1',
        kind: 'TargetGroupBinding',
        spec: {
          serviceRef: { name: 'web-shadow', port: 8080 },
          targetGroupARN: w.traffic.shadowTargetGroupArn,
          targetType,
        },
      });
      expect('nodeSelector' in (binding.spec ?? {})).toBe(nodeSelector);
    },
  );
});

function workloadK8s(w: Workload) {
  if (w.compute.kind !== 'eks' || !w.compute.kubernetes) throw new Error('not eks');
  return w.compute.kubernetes;
}

const NODES: PoolStatus = { exists: true, desired: 3, pending: 0, ready: 3, draining: 0 };
const dep = (spec: number, status: Record<string, number>, generation = 2): KubeObject => ({
  metadata: { name: 'web-shadow', generation },
  spec: { replicas: spec },
  status,
});

describe('branchPoolStatus', () => {
  it.each<[string, PoolStatus, KubeObject | undefined, number, PoolStatus]>([
    [
      'no Deployment yet',
      NODES,
      undefined,
      2,
      { exists: false, desired: 0, pending: 0, ready: 0, draining: 0 },
    ],
    [
      'nodes gone',
      { ...NODES, exists: false },
      dep(6, {}),
      2,
      { exists: false, desired: 0, pending: 0, ready: 0, draining: 0 },
    ],
    [
      'rollout complete: the nodes as they are',
      NODES,
      dep(6, {
        observedGeneration: 2,
        replicas: 6,
        updatedReplicas: 6,
        readyReplicas: 6,
        availableReplicas: 6,
      }),
      2,
      NODES,
    ],
    [
      'pods starting: ready only as many nodes as pods allow',
      NODES,
      dep(6, { observedGeneration: 2, replicas: 6, updatedReplicas: 6, availableReplicas: 3 }),
      2,
      { exists: true, desired: 3, pending: 2, ready: 1, draining: 0 },
    ],
    [
      'spec not observed yet (an image just patched): not ready',
      NODES,
      dep(6, { observedGeneration: 1, replicas: 6, updatedReplicas: 6, availableReplicas: 6 }, 2),
      2,
      { exists: true, desired: 3, pending: 3, ready: 0, draining: 0 },
    ],
    [
      'old pods still running: draining',
      NODES,
      dep(6, { observedGeneration: 2, replicas: 8, updatedReplicas: 4, availableReplicas: 8 }),
      2,
      { exists: true, desired: 3, pending: 1, ready: 2, draining: 2 },
    ],
  ])('%s', (_name, nodes, deployment, perNode, expected) => {
    expect(branchPoolStatus(nodes, deployment, perNode)).toEqual(expected);
  });

  it('reads a rollout as kubectl rollout status does', () => {
    expect(
      rolloutOf(dep(2, { observedGeneration: 2, replicas: 2, updatedReplicas: 2, availableReplicas: 2 }))
        .complete,
    ).toBe(true);
    expect(
      rolloutOf(dep(2, { observedGeneration: 2, replicas: 3, updatedReplicas: 2, availableReplicas: 3 }))
        .complete,
    ).toBe(false);
  });
});

describe('shadow replicas (planning core)', () => {
  it.each([
    [0, 2, 0],
    [1, 1, 1],
    [3, 2, 6],
    [2.2, 3, 9],
  ])('%d units at %d a node: %d replicas', (units, perNode, replicas) => {
    expect(shadowReplicasFor(units, perNode)).toBe(replicas);
  });

  it.each([
    [0, 2, 0],
    [5, 2, 2],
    [6, 2, 3],
    [Number.NaN, 2, 0],
  ])('%d ready pods at %d a node: %d units', (ready, perNode, units) => {
    expect(unitsOfReplicas(ready, perNode)).toBe(units);
  });
});
