import { DescribeClusterCommand, EKSClient } from '@aws-sdk/client-eks';
import { mockClient } from 'aws-sdk-client-mock';
import { TOKEN_PREFIX } from '../../../shared/aws/eks-auth';
import { KubernetesHttpApi } from '../../../shared/aws/kubernetes';
import type { KubeObjectRef } from '../../../shared/ports/kubernetes';
import { type KubeApiDouble, startKubeApiDouble } from '../../helpers/kube-api-double';

/**
 * The Kubernetes adapter over HTTPS against a TEST DOUBLE of the Kubernetes API server
 * (test/helpers/kube-api-double.ts: records requests, answers 200/201/404/409 and Status bodies
 * as the API conventions describe; not a Kubernetes). eks:DescribeCluster is mocked to return the
 * double's endpoint and the PEM of its self-signed certificate as the cluster CA, so the adapter's
 * certificate check is the real one.
 */
const CLUSTER = 'prod-cluster';
const eksMock = mockClient(EKSClient);
let api: KubeApiDouble;
let client: EKSClient;

const ref = (kind: KubeObjectRef['kind'], name: string): KubeObjectRef => ({
  cluster: CLUSTER,
  kind,
  namespace: 'shop',
  name,
});

function adapter(): KubernetesHttpApi {
  return new KubernetesHttpApi(client, {
    credentials: async () => ({ accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'secret' }),
    region: async () => 'eu-west-1',
    timeoutMs: 5_000,
  });
}

beforeAll(async () => {
  api = await startKubeApiDouble();
});
afterAll(async () => {
  await api.close();
});
beforeEach(() => {
  eksMock.reset();
  eksMock.on(DescribeClusterCommand, { name: CLUSTER }).resolves({
    cluster: {
      name: CLUSTER,
      endpoint: api.endpoint,
      certificateAuthority: { data: Buffer.from(api.caPem).toString('base64') },
    },
  });
  client = new EKSClient({ region: 'eu-west-1' });
  api.requests.length = 0;
  api.objects.clear();
});

describe('KubernetesHttpApi', () => {
  it('creates, reads, patches and deletes at the API paths of each kind, with a bearer token', async () => {
    const k = adapter();
    const deployment = {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'web-shadow', namespace: 'shop' },
      spec: { replicas: 2, template: { spec: { containers: [{ name: 'web', image: 'r/web:1' }] } } },
    };

    const created = await k.create(ref('deployments', 'web-shadow'), deployment);
    const read = await k.get(ref('deployments', 'web-shadow'));
    const patched = await k.patch(
      ref('deployments', 'web-shadow'),
      { spec: { template: { spec: { containers: [{ name: 'web', image: 'r/web:2' }] } } } },
      'strategic',
    );
    const deleted = await k.delete(ref('deployments', 'web-shadow'));
    const gone = await k.get(ref('deployments', 'web-shadow'));

    expect(created.created).toBe(true);
    expect(read?.metadata.name).toBe('web-shadow');
    expect(
      (patched.spec as { template: { spec: { containers: { image: string }[] } } }).template.spec.containers,
    ).toEqual([{ name: 'web', image: 'r/web:2' }]);
    expect(deleted).toBe(true);
    expect(gone).toBeUndefined();
    expect(api.requests.map((r) => `${r.method} ${r.path}`)).toEqual([
      'POST /apis/apps/v1/namespaces/shop/deployments',
      'GET /apis/apps/v1/namespaces/shop/deployments/web-shadow',
      'PATCH /apis/apps/v1/namespaces/shop/deployments/web-shadow',
      'DELETE /apis/apps/v1/namespaces/shop/deployments/web-shadow',
      'GET /apis/apps/v1/namespaces/shop/deployments/web-shadow',
    ]);
    expect(api.requests[2]?.contentType).toBe('application/strategic-merge-patch+json');
    expect(api.requests[3]?.body).toEqual({
      apiVersion: 'v1',
      kind: 'DeleteOptions',
      propagationPolicy: 'Background',
    });
    for (const r of api.requests) expect(r.authorization?.startsWith(`Bearer ${TOKEN_PREFIX}`)).toBe(true);
    // The endpoint and CA are looked up once per cluster.
    expect(eksMock.commandCalls(DescribeClusterCommand)).toHaveLength(1);
  });

  it('core and custom resources live under /api/v1 and /apis/<group>/<version>', async () => {
    const k = adapter();
    await k.get(ref('services', 'web-shadow'));
    await k.get(ref('targetgroupbindings', 'web-shadow'));
    expect(api.requests.map((r) => r.path)).toEqual([
      '/api/v1/namespaces/shop/services/web-shadow',
      '/apis/elbv2.k8s.aws/v1beta1/namespaces/shop/targetgroupbindings/web-shadow',
    ]);
  });

  it('create on 409 AlreadyExists returns the existing object unchanged (create-or-get)', async () => {
    api.put('deployments', 'shop', {
      kind: 'Deployment',
      metadata: { name: 'web-shadow', labels: { a: 'b' } },
      spec: {},
    });
    const k = adapter();

    const out = await k.create(ref('deployments', 'web-shadow'), {
      kind: 'Deployment',
      metadata: { name: 'web-shadow' },
      spec: { replicas: 9 },
    });

    expect(out.created).toBe(false);
    expect(out.object.metadata.labels).toEqual({ a: 'b' });
    expect(api.requests.map((r) => r.method)).toEqual(['POST', 'GET']);
  });

  it('a merge patch of a custom resource is sent as application/merge-patch+json', async () => {
    api.put('targetgroupbindings', 'shop', {
      kind: 'TargetGroupBinding',
      metadata: { name: 'b' },
      spec: { targetGroupARN: 'x' },
    });
    const out = await adapter().patch(
      ref('targetgroupbindings', 'b'),
      { spec: { targetGroupARN: 'y' } },
      'merge',
    );
    expect(out.spec).toEqual({ targetGroupARN: 'y' });
    expect(api.requests[0]?.contentType).toBe('application/merge-patch+json');
  });

  it('patch of an absent object is NotFoundError; delete of one answers false', async () => {
    await expect(adapter().patch(ref('deployments', 'nope'), {}, 'strategic')).rejects.toMatchObject({
      name: 'NotFoundError',
      message: expect.stringMatching(/does not exist/),
    });
    await expect(adapter().delete(ref('deployments', 'nope'))).resolves.toBe(false);
  });

  it.each<[number, string, string]>([
    [403, 'Forbidden', 'ConfigError'],
    [401, 'Unauthorized', 'ConfigError'],
    [422, 'Invalid', 'ConfigError'],
    [409, 'Conflict', 'TransientError'],
    [429, 'TooManyRequests', 'TransientError'],
    [500, 'InternalError', 'TransientError'],
    [503, 'ServiceUnavailable', 'TransientError'],
  ])('HTTP %i %s becomes %s (Retry matches only transient ones)', async (code, reason, errorName) => {
    api.put('deployments', 'shop', { kind: 'Deployment', metadata: { name: 'web' }, spec: {} });
    api.failNext('PATCH', code, reason);
    await expect(adapter().patch(ref('deployments', 'web'), { spec: {} }, 'strategic')).rejects.toMatchObject(
      {
        name: errorName,
        message: expect.stringContaining(`HTTP ${code} ${reason}`),
      },
    );
  });

  it('refused by RBAC: the error says what the role needs', async () => {
    api.failNext('GET', 403, 'Forbidden');
    await expect(adapter().get(ref('deployments', 'web'))).rejects.toThrow(
      /EKS access entry on cluster prod-cluster and RBAC for deployments in namespace shop/,
    );
  });

  it('a server whose certificate does not chain to the cluster CA is refused (TransientError, CA looked up again)', async () => {
    eksMock.on(DescribeClusterCommand).resolves({
      cluster: {
        name: CLUSTER,
        endpoint: api.endpoint,
        // Some other CA: the double's certificate does not chain to it.
        certificateAuthority: { data: Buffer.from(otherCa()).toString('base64') },
      },
    });
    const k = adapter();
    await expect(k.get(ref('deployments', 'web'))).rejects.toMatchObject({ name: 'TransientError' });
    expect(api.requests).toHaveLength(0);
    await expect(k.get(ref('deployments', 'web'))).rejects.toMatchObject({ name: 'TransientError' });
    expect(eksMock.commandCalls(DescribeClusterCommand)).toHaveLength(2);
  });

  it('an unknown cluster is NotFoundError; a cluster without endpoint yet is ConfigError', async () => {
    eksMock
      .on(DescribeClusterCommand)
      .rejects(Object.assign(new Error('No cluster found'), { name: 'ResourceNotFoundException' }));
    await expect(adapter().get(ref('deployments', 'web'))).rejects.toMatchObject({ name: 'NotFoundError' });
    eksMock.on(DescribeClusterCommand).resolves({ cluster: { name: CLUSTER, status: 'CREATING' } });
    await expect(adapter().get(ref('deployments', 'web'))).rejects.toMatchObject({
      name: 'ConfigError',
      message: expect.stringMatching(/no API endpoint or certificate authority/),
    });
  });
});

/** A CA certificate that did not sign the double's (a second self-signed double's). */
let other: string | undefined;
function otherCa(): string {
  if (!other) throw new Error('other CA not prepared');
  return other;
}
beforeAll(async () => {
  const second = await startKubeApiDouble();
  other = second.caPem;
  await second.close();
});
