import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * A TEST DOUBLE of the Kubernetes API server, not a Kubernetes: an HTTPS server on loopback (a
 * self-signed certificate made with the machine's `openssl`, whose PEM the test hands out as the
 * cluster CA, as eks:DescribeCluster would) that records every request and answers the few calls
 * Shadowscale makes the way the API does (api-conventions.md, "HTTP Status codes"):
 * - GET an object: 200 with it, or 404 with a `Status` (reason NotFound);
 * - POST to a collection: 201 with the stored object, or 409 `Status` reason AlreadyExists;
 * - PATCH: `application/strategic-merge-patch+json` (containers merged by name) or
 *   `application/merge-patch+json` (RFC 7386); 200 with the object, 404 when absent, 415 otherwise;
 * - DELETE: 200 with a `Status` of Success, 404 when absent;
 * - no `Authorization: Bearer k8s-aws-v1.…` header: 401 `Status` reason Unauthorized.
 * Its "controller" is one rule: a Deployment's status reaches its spec (all replicas updated,
 * ready and available, the generation observed) after `settleAfterReads` reads of it.
 */
export interface RecordedRequest {
  method: string;
  path: string;
  contentType?: string;
  authorization?: string;
  body?: unknown;
}

interface Stored {
  object: Record<string, unknown> & { metadata: Record<string, unknown> };
  readsSinceChange: number;
}

export interface KubeApiDouble {
  endpoint: string;
  caPem: string;
  requests: RecordedRequest[];
  /** Objects by `<kind plural>/<namespace>/<name>`. */
  objects: Map<string, Stored>;
  object(kind: string, namespace: string, name: string): Record<string, unknown> | undefined;
  put(kind: string, namespace: string, object: Record<string, unknown>): void;
  /** Reads of a Deployment after a change before its status catches up. */
  settleAfterReads: number;
  /** Answer the next request matching `method` with `status` and a Status of `reason`. */
  failNext(method: string, status: number, reason: string): void;
  close(): Promise<void>;
}

function status(code: number, reason: string, message: string) {
  return { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message, reason, code };
}

type Json = Record<string, unknown>;

function isObject(v: unknown): v is Json {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** RFC 7386 JSON merge patch. */
export function mergePatch(target: unknown, patch: unknown): unknown {
  if (!isObject(patch)) return patch;
  const out: Json = isObject(target) ? { ...target } : {};
  for (const [k, v] of Object.entries(patch)) {
    if (v === null) delete out[k];
    else out[k] = mergePatch(out[k], v);
  }
  return out;
}

/** Strategic merge patch, for the lists Shadowscale patches: lists of named items merge by `name`. */
export function strategicMerge(target: unknown, patch: unknown): unknown {
  if (Array.isArray(patch) && Array.isArray(target) && patch.every((p) => isObject(p) && 'name' in p)) {
    const out = target.map((t) => (isObject(t) ? { ...t } : t));
    for (const p of patch as Json[]) {
      const i = out.findIndex((t) => isObject(t) && t.name === p.name);
      if (i >= 0) out[i] = strategicMerge(out[i], p);
      else out.push(p);
    }
    return out;
  }
  if (!isObject(patch)) return patch;
  const out: Json = isObject(target) ? { ...target } : {};
  for (const [k, v] of Object.entries(patch)) {
    if (v === null) delete out[k];
    else out[k] = strategicMerge(out[k], v);
  }
  return out;
}

/** `/apis/apps/v1/namespaces/ns/deployments/name` → { kind, namespace, name? }. */
function parsePath(path: string): { kind: string; namespace: string; name?: string } | undefined {
  const m = /^\/(?:api\/v1|apis\/[^/]+\/[^/]+)\/namespaces\/([^/]+)\/([^/?]+)(?:\/([^/?]+))?$/.exec(
    path.split('?')[0] ?? '',
  );
  if (!m?.[1] || !m[2]) return undefined;
  return {
    namespace: decodeURIComponent(m[1]),
    kind: m[2],
    ...(m[3] ? { name: decodeURIComponent(m[3]) } : {}),
  };
}

function settle(stored: Stored, after: number): void {
  const o = stored.object;
  if (o.kind !== 'Deployment' || stored.readsSinceChange < after) return;
  const spec = (o.spec ?? {}) as Json;
  const replicas = typeof spec.replicas === 'number' ? spec.replicas : 1;
  o.status = {
    observedGeneration: o.metadata.generation,
    replicas,
    updatedReplicas: replicas,
    readyReplicas: replicas,
    availableReplicas: replicas,
  };
}

function makeCertificate(): { key: string; cert: string } {
  const dir = mkdtempSync(join(tmpdir(), 'kube-double-'));
  try {
    execFileSync(
      'openssl',
      [
        'req',
        '-x509',
        '-newkey',
        'ec',
        '-pkeyopt',
        'ec_paramgen_curve:prime256v1',
        '-nodes',
        '-keyout',
        join(dir, 'key.pem'),
        '-out',
        join(dir, 'cert.pem'),
        '-days',
        '1',
        '-subj',
        '/CN=127.0.0.1',
        '-addext',
        'subjectAltName=IP:127.0.0.1',
      ],
      { stdio: 'ignore' },
    );
    return {
      key: readFileSync(join(dir, 'key.pem'), 'utf8'),
      cert: readFileSync(join(dir, 'cert.pem'), 'utf8'),
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

export async function startKubeApiDouble(): Promise<KubeApiDouble> {
  const { key, cert } = makeCertificate();
  const requests: RecordedRequest[] = [];
  const objects = new Map<string, Stored>();
  const failures: { method: string; status: number; reason: string }[] = [];
  let version = 1;
  const double: Partial<KubeApiDouble> = { settleAfterReads: 1 };

  const server: Server = createServer({ key, cert }, (req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const text = Buffer.concat(chunks).toString('utf8');
      const body = text ? (JSON.parse(text) as unknown) : undefined;
      const method = req.method ?? 'GET';
      const path = req.url ?? '/';
      requests.push({
        method,
        path,
        ...(req.headers['content-type'] ? { contentType: req.headers['content-type'] } : {}),
        ...(req.headers.authorization ? { authorization: req.headers.authorization } : {}),
        ...(body !== undefined ? { body } : {}),
      });
      const answer = (code: number, payload: unknown) => {
        res.writeHead(code, { 'content-type': 'application/json' });
        res.end(JSON.stringify(payload));
      };
      if (!req.headers.authorization?.startsWith('Bearer k8s-aws-v1.')) {
        answer(401, status(401, 'Unauthorized', 'Unauthorized'));
        return;
      }
      const failure = failures.findIndex((f) => f.method === method);
      if (failure >= 0) {
        const [f] = failures.splice(failure, 1);
        if (f) answer(f.status, status(f.status, f.reason, `injected ${f.reason}`));
        return;
      }
      const parsed = parsePath(path);
      if (!parsed) {
        answer(404, status(404, 'NotFound', `the server could not find the requested resource ${path}`));
        return;
      }
      const keyOf = (name: string) => `${parsed.kind}/${parsed.namespace}/${name}`;
      const notFound = (name: string) => status(404, 'NotFound', `${parsed.kind} "${name}" not found`);
      if (method === 'POST' && !parsed.name) {
        const object = body as Stored['object'];
        const name = String(object.metadata.name);
        if (objects.has(keyOf(name))) {
          answer(409, status(409, 'AlreadyExists', `${parsed.kind} "${name}" already exists`));
          return;
        }
        object.metadata = {
          ...object.metadata,
          namespace: parsed.namespace,
          uid: `uid-${version}`,
          resourceVersion: String(++version),
          generation: 1,
        };
        const stored = { object, readsSinceChange: 0 };
        objects.set(keyOf(name), stored);
        answer(201, object);
        return;
      }
      const name = parsed.name ?? '';
      const stored = objects.get(keyOf(name));
      if (!stored) {
        answer(404, notFound(name));
        return;
      }
      if (method === 'GET') {
        stored.readsSinceChange++;
        settle(stored, double.settleAfterReads ?? 1);
        answer(200, stored.object);
      } else if (method === 'PATCH') {
        const type = req.headers['content-type'];
        const merge =
          type === 'application/strategic-merge-patch+json'
            ? strategicMerge
            : type === 'application/merge-patch+json'
              ? mergePatch
              : undefined;
        if (!merge) {
          answer(
            415,
            status(415, 'UnsupportedMediaType', `the body of the request was in an unknown format: ${type}`),
          );
          return;
        }
        const before = JSON.stringify(stored.object.spec);
        const next = merge(stored.object, body) as Stored['object'];
        const generation = Number(stored.object.metadata.generation ?? 1);
        next.metadata = {
          ...next.metadata,
          resourceVersion: String(++version),
          generation: JSON.stringify(next.spec) === before ? generation : generation + 1,
        };
        stored.object = next;
        stored.readsSinceChange = 0;
        answer(200, next);
      } else if (method === 'DELETE') {
        objects.delete(keyOf(name));
        answer(200, {
          kind: 'Status',
          apiVersion: 'v1',
          metadata: {},
          status: 'Success',
          details: { name, kind: parsed.kind },
        });
      } else {
        answer(405, status(405, 'MethodNotAllowed', `${method} is not supported`));
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return Object.assign(double, {
    endpoint: `https://127.0.0.1:${port}`,
    caPem: cert,
    requests,
    objects,
    object: (kind: string, namespace: string, name: string) =>
      objects.get(`${kind}/${namespace}/${name}`)?.object,
    put: (kind: string, namespace: string, object: Record<string, unknown>) => {
      const metadata: Json = { generation: 1, ...(object.metadata as Json), namespace };
      objects.set(`${kind}/${namespace}/${String(metadata.name)}`, {
        object: { ...object, metadata } as Stored['object'],
        readsSinceChange: 0,
      });
    },
    failNext: (method: string, code: number, reason: string) => {
      failures.push({ method, status: code, reason });
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  }) as KubeApiDouble;
}
