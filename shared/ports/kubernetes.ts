/**
 * The Kubernetes objects Shadowscale drives on an EKS cluster (deploy-time branching): a
 * Deployment, a Service and a `TargetGroupBinding` (AWS Load Balancer Controller). Narrow on
 * purpose: get, create-or-get, patch and delete of one named object.
 */
export type KubeKind = 'deployments' | 'services' | 'targetgroupbindings';

/** The API group/version each kind is served under. */
export const KUBE_API_VERSION: Readonly<Record<KubeKind, string>> = {
  deployments: 'apps/v1',
  services: 'v1',
  targetgroupbindings: 'elbv2.k8s.aws/v1beta1',
};

export interface KubeObjectRef {
  /** The EKS cluster's name. */
  cluster: string;
  kind: KubeKind;
  namespace: string;
  name: string;
}

export interface KubeMetadata {
  name?: string;
  namespace?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  generation?: number;
  resourceVersion?: string;
  deletionTimestamp?: string;
}

/** An object as the API returns it; adapters read the fields they need with care. */
export interface KubeObject {
  apiVersion?: string;
  kind?: string;
  metadata: KubeMetadata;
  spec?: Record<string, unknown>;
  status?: Record<string, unknown>;
}

/**
 * How a patch is applied: `strategic` (Kubernetes strategic merge patch: lists of containers
 * merge by name, like `kubectl set image`; built-in kinds only) or `merge` (RFC 7386 JSON merge
 * patch, for custom resources).
 */
export type KubePatchType = 'strategic' | 'merge';

/**
 * Every call throws NotFoundError (absent when it must exist), TransientError (throttled, 5xx,
 * network: retry) or ConfigError (refused: RBAC, invalid object), so the state machine's Retry
 * and Catch keep working as for the AWS calls.
 */
export interface KubernetesApi {
  /** The object, or undefined when it does not exist (404). */
  get(ref: KubeObjectRef): Promise<KubeObject | undefined>;
  /** Creates the object; when one of that name exists (409 AlreadyExists), returns it unchanged. */
  create(ref: KubeObjectRef, body: KubeObject): Promise<{ object: KubeObject; created: boolean }>;
  /** Patches the object; NotFoundError when it does not exist. */
  patch(ref: KubeObjectRef, patch: Record<string, unknown>, type: KubePatchType): Promise<KubeObject>;
  /** Deletes the object (foreground for Deployments: their pods go with them); false when absent. */
  delete(ref: KubeObjectRef): Promise<boolean>;
}
