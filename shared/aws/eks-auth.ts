import { createHash, createHmac } from 'node:crypto';
import {
  DescribeClusterCommand,
  type DescribeClusterCommandOutput,
  type EKSClient,
} from '@aws-sdk/client-eks';
import { SignatureV4 } from '@smithy/signature-v4';
import { ConfigError, NotFoundError } from '../errors';
import { awsFailure } from './common';

/**
 * How a client authenticates to the Kubernetes API of an EKS cluster, as `aws eks get-token` and
 * aws-iam-authenticator do: the bearer token is `k8s-aws-v1.` + the unpadded base64url of a
 * presigned STS `GetCallerIdentity` URL (SigV4 in the query, `X-Amz-Expires=60`) that also signs
 * the header `x-k8s-aws-id: <cluster name>`. The cluster's authenticator calls that URL and maps
 * the caller's IAM identity to a Kubernetes user through an access entry (or aws-auth).
 * https://github.com/kubernetes-sigs/aws-iam-authenticator#api-authorization-from-outside-a-cluster
 * https://docs.aws.amazon.com/cli/latest/reference/eks/get-token.html
 */
export const TOKEN_PREFIX = 'k8s-aws-v1.';
export const CLUSTER_ID_HEADER = 'x-k8s-aws-id';
/** The presigned URL's own validity; the authenticator accepts the token for 15 minutes at most. */
export const TOKEN_EXPIRES_SECONDS = 60;

export interface AwsCredentials {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken?: string;
}

/** SHA-256 for the signer, from node:crypto (HMAC when given a secret). */
class NodeSha256 {
  private readonly hash;
  constructor(secret?: string | ArrayBuffer | ArrayBufferView) {
    const key =
      secret === undefined
        ? undefined
        : typeof secret === 'string'
          ? secret
          : ArrayBuffer.isView(secret)
            ? Buffer.from(secret.buffer, secret.byteOffset, secret.byteLength)
            : Buffer.from(secret);
    this.hash = key === undefined ? createHash('sha256') : createHmac('sha256', key);
  }
  update(data: string | ArrayBuffer | ArrayBufferView): void {
    if (typeof data === 'string') this.hash.update(data, 'utf8');
    else if (ArrayBuffer.isView(data))
      this.hash.update(Buffer.from(data.buffer, data.byteOffset, data.byteLength));
    else this.hash.update(Buffer.from(data));
  }
  async digest(): Promise<Uint8Array> {
    return new Uint8Array(this.hash.digest());
  }
}

/**
 * The STS endpoint the presigned URL names: `AWS_ENDPOINT_URL_STS` or `AWS_ENDPOINT_URL` when set
 * (an emulator's cluster verifies against its own STS), else the regional endpoint.
 */
export function stsEndpoint(region: string, env: NodeJS.ProcessEnv = process.env): URL {
  const configured = env.AWS_ENDPOINT_URL_STS ?? env.AWS_ENDPOINT_URL;
  if (configured) return new URL(configured);
  const suffix = region.startsWith('cn-') ? 'amazonaws.com.cn' : 'amazonaws.com';
  return new URL(`https://sts.${region}.${suffix}/`);
}

/** The bearer token for `cluster`, signed with `credentials` at `now`. */
export async function eksBearerToken(input: {
  cluster: string;
  region: string;
  credentials: AwsCredentials;
  now?: Date;
  env?: NodeJS.ProcessEnv;
}): Promise<string> {
  const endpoint = stsEndpoint(input.region, input.env);
  const signer = new SignatureV4({
    credentials: input.credentials,
    region: input.region,
    service: 'sts',
    sha256: NodeSha256,
    uriEscapePath: true,
    applyChecksum: false,
  });
  const request: Parameters<SignatureV4['presign']>[0] = {
    method: 'GET',
    protocol: endpoint.protocol,
    hostname: endpoint.hostname,
    ...(endpoint.port ? { port: Number(endpoint.port) } : {}),
    path: endpoint.pathname || '/',
    query: { Action: 'GetCallerIdentity', Version: '2011-06-15' },
    headers: { host: endpoint.host, [CLUSTER_ID_HEADER]: input.cluster },
  };
  const signed = await signer.presign(request, {
    expiresIn: TOKEN_EXPIRES_SECONDS,
    ...(input.now ? { signingDate: input.now } : {}),
  });
  const query = new URLSearchParams();
  for (const [key, value] of Object.entries(signed.query ?? {})) {
    for (const v of Array.isArray(value) ? value : [value])
      if (v !== null && v !== undefined) query.append(key, v);
  }
  // URLSearchParams encodes a space as `+`; SigV4 signed `%20` (none of our values has one).
  const url = `${endpoint.protocol}//${endpoint.host}${signed.path}?${query.toString()}`;
  return TOKEN_PREFIX + Buffer.from(url, 'utf8').toString('base64url');
}

/** Where a cluster's API server is and the CA that signs its certificate. */
export interface ClusterAccess {
  endpoint: string;
  /** PEM of the cluster's certificate authority. */
  caPem: string;
}

/** eks:DescribeCluster: the API server endpoint and its CA (base64 PEM in `certificateAuthority.data`). */
export async function describeClusterAccess(client: EKSClient, cluster: string): Promise<ClusterAccess> {
  let out: DescribeClusterCommandOutput;
  try {
    out = await client.send(new DescribeClusterCommand({ name: cluster }));
  } catch (error) {
    if (error instanceof Error && error.name === 'ResourceNotFoundException') {
      throw new NotFoundError(`EKS cluster ${cluster} does not exist`, { cause: error });
    }
    throw awsFailure(error, 'DescribeCluster');
  }
  const found = out.cluster;
  const endpoint = found?.endpoint;
  const ca = found?.certificateAuthority?.data;
  if (!endpoint || !ca) {
    throw new ConfigError(
      `EKS cluster ${cluster} has no API endpoint or certificate authority yet (is it still creating?)`,
    );
  }
  return { endpoint, caPem: Buffer.from(ca, 'base64').toString('utf8') };
}
