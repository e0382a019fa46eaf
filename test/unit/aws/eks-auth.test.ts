import { createHash, createHmac } from 'node:crypto';
import { eksBearerToken, stsEndpoint, TOKEN_PREFIX } from '../../../shared/aws/eks-auth';

/**
 * The EKS bearer token against its documented format (aws-iam-authenticator README, "API
 * Authorization from Outside a Cluster"; `aws eks get-token`): `k8s-aws-v1.` + unpadded base64url
 * of a presigned STS GetCallerIdentity URL, SigV4 in the query, X-Amz-Expires=60, the header
 * `x-k8s-aws-id: <cluster>` signed. The signature is checked by recomputing SigV4 from the AWS
 * General Reference steps (canonical request, string to sign, derived key) in this test.
 */
const CREDENTIALS = {
  accessKeyId: 'AKIDEXAMPLE',
  secretAccessKey: 'wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY',
  sessionToken: 'session/token+with=chars',
};
const NOW = new Date(Date.UTC(2026, 10, 23, 9, 0, 0));

function decode(token: string): URL {
  expect(token.startsWith(TOKEN_PREFIX)).toBe(true);
  const payload = token.slice(TOKEN_PREFIX.length);
  expect(payload).toMatch(/^[A-Za-z0-9_-]+$/); // base64url, no padding
  return new URL(Buffer.from(payload, 'base64url').toString('utf8'));
}

const hex = (data: string) => createHash('sha256').update(data, 'utf8').digest('hex');
const hmac = (key: string | Buffer, data: string) => createHmac('sha256', key).update(data, 'utf8').digest();
/** RFC 3986 encoding as SigV4 wants it. */
const enc = (s: string) =>
  encodeURIComponent(s).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);

function expectedSignature(url: URL, cluster: string, region: string): string {
  const params = [...url.searchParams.entries()].filter(([k]) => k !== 'X-Amz-Signature');
  const query = params
    .map(([k, v]) => [enc(k), enc(v)] as const)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([k, v]) => `${k}=${v}`)
    .join('&');
  const canonical = [
    'GET',
    '/',
    query,
    `host:${url.host}`,
    `x-k8s-aws-id:${cluster}`,
    '',
    'host;x-k8s-aws-id',
    hex(''),
  ].join('\n');
  const amzDate = url.searchParams.get('X-Amz-Date') ?? '';
  const day = amzDate.slice(0, 8);
  const scope = `${day}/${region}/sts/aws4_request`;
  const toSign = ['AWS4-HMAC-SHA256', amzDate, scope, hex(canonical)].join('\n');
  const key = hmac(
    hmac(hmac(hmac(`AWS4${CREDENTIALS.secretAccessKey}`, day), region), 'sts'),
    'aws4_request',
  );
  return createHmac('sha256', key).update(toSign, 'utf8').digest('hex');
}

describe('eksBearerToken', () => {
  it('is k8s-aws-v1. + base64url of a presigned GetCallerIdentity URL for the regional STS endpoint', async () => {
    const token = await eksBearerToken({
      cluster: 'prod-cluster',
      region: 'eu-west-1',
      credentials: CREDENTIALS,
      now: NOW,
      env: {},
    });

    const url = decode(token);
    expect(`${url.origin}${url.pathname}`).toBe('https://sts.eu-west-1.amazonaws.com/');
    const q = url.searchParams;
    expect(q.get('Action')).toBe('GetCallerIdentity');
    expect(q.get('Version')).toBe('2011-06-15');
    expect(q.get('X-Amz-Algorithm')).toBe('AWS4-HMAC-SHA256');
    expect(q.get('X-Amz-Credential')).toBe('AKIDEXAMPLE/20261123/eu-west-1/sts/aws4_request');
    expect(q.get('X-Amz-Date')).toBe('20261123T090000Z');
    expect(q.get('X-Amz-Expires')).toBe('60');
    expect(q.get('X-Amz-SignedHeaders')).toBe('host;x-k8s-aws-id');
    expect(q.get('X-Amz-Security-Token')).toBe(CREDENTIALS.sessionToken);
    expect(q.get('X-Amz-Signature')).toMatch(/^[0-9a-f]{64}$/);
  });

  it('signs the cluster id header: the signature is SigV4 over host and x-k8s-aws-id', async () => {
    const token = await eksBearerToken({
      cluster: 'prod-cluster',
      region: 'eu-west-1',
      credentials: CREDENTIALS,
      now: NOW,
      env: {},
    });
    const url = decode(token);
    expect(url.searchParams.get('X-Amz-Signature')).toBe(expectedSignature(url, 'prod-cluster', 'eu-west-1'));
    // Another cluster name gives another signature: the token is bound to its cluster.
    expect(url.searchParams.get('X-Amz-Signature')).not.toBe(expectedSignature(url, 'other', 'eu-west-1'));
  });

  it.each([
    [{}, 'us-east-1', 'https://sts.us-east-1.amazonaws.com/'],
    [{}, 'cn-north-1', 'https://sts.cn-north-1.amazonaws.com.cn/'],
    [{ AWS_ENDPOINT_URL: 'http://localhost:4566' }, 'us-east-1', 'http://localhost:4566/'],
    [
      { AWS_ENDPOINT_URL: 'http://localhost:4566', AWS_ENDPOINT_URL_STS: 'http://sts.local:5000' },
      'us-east-1',
      'http://sts.local:5000/',
    ],
  ])('STS endpoint with env %j in %s is %s', (env, region, expected) => {
    expect(stsEndpoint(region, env).toString()).toBe(expected);
  });
});
