import { request as httpsRequest } from 'node:https';
import type { EKSClient } from '@aws-sdk/client-eks';
import { ConfigError, NotFoundError, TransientError } from '../errors';
import {
  KUBE_API_VERSION,
  type KubeObject,
  type KubeObjectRef,
  type KubePatchType,
  type KubernetesApi,
} from '../ports/kubernetes';
import { type AwsCredentials, type ClusterAccess, describeClusterAccess, eksBearerToken } from './eks-auth';

/**
 * `KubernetesApi` over the cluster's REST API with plain HTTPS: the endpoint and CA come from
 * eks:DescribeCluster (through the EKS client, so `AWS_ENDPOINT_URL_EKS` / `AWS_ENDPOINT_URL` are
 * honoured), each request carries a fresh bearer token signed with the EKS client's own
 * credentials (see eks-auth.ts), and the server's certificate must chain to the cluster's CA.
 * Response codes follow the Kubernetes API conventions: 200/201 with the object, 404 NotFound,
 * 409 AlreadyExists (create) or Conflict, 401/403 refused, 422 Invalid, 429 and 5xx retryable.
 * https://kubernetes.io/docs/reference/using-api/api-concepts/
 */
export interface KubernetesHttpOptions {
  /** Per-request timeout. @default 10 000 ms */
  timeoutMs?: number;
  /** Credentials that sign the token. @default the EKS client's */
  credentials?: () => Promise<AwsCredentials>;
  /** @default the EKS client's region */
  region?: () => Promise<string>;
}

const CONTENT_TYPE: Record<KubePatchType, string> = {
  strategic: 'application/strategic-merge-patch+json',
  merge: 'application/merge-patch+json',
};

interface HttpAnswer {
  status: number;
  body: unknown;
}

/** The collection URL path of a kind in a namespace (core `v1` lives under /api, groups under /apis). */
export function collectionPath(ref: Pick<KubeObjectRef, 'kind' | 'namespace'>): string {
  const version = KUBE_API_VERSION[ref.kind];
  const root = version.includes('/') ? `/apis/${version}` : `/api/${version}`;
  return `${root}/namespaces/${encodeURIComponent(ref.namespace)}/${ref.kind}`;
}

export function objectPath(ref: KubeObjectRef): string {
  return `${collectionPath(ref)}/${encodeURIComponent(ref.name)}`;
}

function statusMessage(body: unknown): { reason: string; message: string } {
  const b = (body ?? {}) as { reason?: unknown; message?: unknown };
  return {
    reason: typeof b.reason === 'string' ? b.reason : '',
    message: typeof b.message === 'string' ? b.message : JSON.stringify(body ?? '').slice(0, 300),
  };
}

function asObject(body: unknown, what: string): KubeObject {
  const b = body as KubeObject | null;
  if (!b || typeof b !== 'object' || typeof b.metadata !== 'object' || b.metadata === null) {
    throw new TransientError(`${what}: the API server answered without an object`);
  }
  return b;
}

export class KubernetesHttpApi implements KubernetesApi {
  private readonly access = new Map<string, Promise<ClusterAccess>>();
  private readonly timeoutMs: number;

  constructor(
    private readonly eks: EKSClient,
    private readonly options: KubernetesHttpOptions = {},
  ) {
    this.timeoutMs = options.timeoutMs ?? 10_000;
  }

  async get(ref: KubeObjectRef): Promise<KubeObject | undefined> {
    const answer = await this.call(ref, 'GET', objectPath(ref));
    if (answer.status === 404) return undefined;
    this.expectOk(answer, ref, 'get');
    return asObject(answer.body, `get ${describe(ref)}`);
  }

  async create(ref: KubeObjectRef, body: KubeObject): Promise<{ object: KubeObject; created: boolean }> {
    const answer = await this.call(
      ref,
      'POST',
      collectionPath(ref),
      JSON.stringify(body),
      'application/json',
    );
    if (answer.status === 409 && statusMessage(answer.body).reason === 'AlreadyExists') {
      const existing = await this.get(ref);
      if (!existing) throw new TransientError(`${describe(ref)} existed and is gone again; retry`);
      return { object: existing, created: false };
    }
    this.expectOk(answer, ref, 'create');
    return { object: asObject(answer.body, `create ${describe(ref)}`), created: true };
  }

  async patch(ref: KubeObjectRef, patch: Record<string, unknown>, type: KubePatchType): Promise<KubeObject> {
    const answer = await this.call(ref, 'PATCH', objectPath(ref), JSON.stringify(patch), CONTENT_TYPE[type]);
    if (answer.status === 404) throw new NotFoundError(`${describe(ref)} does not exist`);
    this.expectOk(answer, ref, 'patch');
    return asObject(answer.body, `patch ${describe(ref)}`);
  }

  async delete(ref: KubeObjectRef): Promise<boolean> {
    const options = JSON.stringify({
      apiVersion: 'v1',
      kind: 'DeleteOptions',
      propagationPolicy: 'Background',
    });
    const answer = await this.call(ref, 'DELETE', objectPath(ref), options, 'application/json');
    if (answer.status === 404) return false;
    this.expectOk(answer, ref, 'delete');
    return true;
  }

  private expectOk(answer: HttpAnswer, ref: KubeObjectRef, verb: string): void {
    if (answer.status >= 200 && answer.status < 300) return;
    const { reason, message } = statusMessage(answer.body);
    const what = `${verb} ${describe(ref)}: HTTP ${answer.status}${reason ? ` ${reason}` : ''}: ${message}`;
    if (answer.status === 429 || answer.status >= 500 || answer.status === 409)
      throw new TransientError(what);
    if (answer.status === 401 || answer.status === 403) {
      throw new ConfigError(
        `${what} (the caller's IAM role needs an EKS access entry on cluster ${ref.cluster} and RBAC for ${ref.kind} in namespace ${ref.namespace})`,
      );
    }
    if (answer.status === 404) throw new NotFoundError(what);
    throw new ConfigError(what);
  }

  private clusterAccess(cluster: string): Promise<ClusterAccess> {
    let found = this.access.get(cluster);
    if (!found) {
      found = describeClusterAccess(this.eks, cluster);
      // A failed lookup is not cached: the next call asks again.
      found.catch(() => this.access.delete(cluster));
      this.access.set(cluster, found);
    }
    return found;
  }

  private async token(cluster: string): Promise<string> {
    const credentials = this.options.credentials
      ? await this.options.credentials()
      : await this.eks.config.credentials();
    const region = this.options.region ? await this.options.region() : await this.eks.config.region();
    return eksBearerToken({ cluster, region, credentials });
  }

  private async call(
    ref: KubeObjectRef,
    method: 'GET' | 'POST' | 'PATCH' | 'DELETE',
    path: string,
    body?: string,
    contentType?: string,
  ): Promise<HttpAnswer> {
    const [access, token] = await Promise.all([this.clusterAccess(ref.cluster), this.token(ref.cluster)]);
    const url = new URL(path, access.endpoint.endsWith('/') ? access.endpoint : `${access.endpoint}/`);
    try {
      return await send(url, {
        method,
        ca: access.caPem,
        timeoutMs: this.timeoutMs,
        headers: {
          authorization: `Bearer ${token}`,
          accept: 'application/json',
          ...(body !== undefined
            ? {
                'content-type': contentType ?? 'application/json',
                'content-length': String(Buffer.byteLength(body)),
              }
            : {}),
        },
        ...(body !== undefined ? { body } : {}),
      });
    } catch (error) {
      // The endpoint or CA may have changed (cluster replaced): look them up again next time.
      this.access.delete(ref.cluster);
      throw new TransientError(`${method} ${describe(ref)}: ${(error as Error).message}`, { cause: error });
    }
  }
}

function describe(ref: KubeObjectRef): string {
  return `${ref.kind}/${ref.name} in namespace ${ref.namespace} of EKS cluster ${ref.cluster}`;
}

function send(
  url: URL,
  o: { method: string; ca: string; timeoutMs: number; headers: Record<string, string>; body?: string },
): Promise<HttpAnswer> {
  if (url.protocol !== 'https:') {
    return Promise.reject(new Error(`the cluster endpoint ${url.origin} is not HTTPS`));
  }
  return new Promise((resolve, reject) => {
    const req = httpsRequest(
      url,
      { method: o.method, ca: o.ca, headers: o.headers, timeout: o.timeoutMs },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('error', reject);
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          let parsed: unknown = text;
          try {
            parsed = text.length > 0 ? JSON.parse(text) : undefined;
          } catch {
            // Not JSON (a proxy's error page): keep the text for the message.
          }
          resolve({ status: res.statusCode ?? 0, body: parsed });
        });
      },
    );
    req.on('timeout', () => req.destroy(new Error(`no answer within ${o.timeoutMs} ms`)));
    req.on('error', reject);
    if (o.body !== undefined) req.write(o.body);
    req.end();
  });
}
