import { ValidationError } from '../../../shared/errors';
import { Workload } from '../../../shared/schemas/workload';
import { parseOrThrow } from '../../../shared/validation';
import { workloadInput } from '../../helpers/fixtures';

const DELETE = Symbol('delete');

/** Set (or delete) the value at a dotted path such as `metrics.0.capacityPerUnit`. */
function withValue(path: string, value: unknown): unknown {
  const root = workloadInput() as unknown as Record<string, unknown>;
  const keys = path.split('.');
  let node = root;
  for (const key of keys.slice(0, -1)) node = node[key] as Record<string, unknown>;
  const last = keys[keys.length - 1] as string;
  if (value === DELETE) delete node[last];
  else node[last] = value;
  return root;
}

function rejectionOf(input: unknown): ValidationError {
  try {
    parseOrThrow(Workload, input, 'workload');
  } catch (error) {
    if (error instanceof ValidationError) return error;
    throw error;
  }
  throw new Error('expected the workload to be rejected');
}

describe('Workload schema', () => {
  it('accepts the example and applies defaults', () => {
    const w = parseOrThrow(Workload, workloadInput(), 'workload');
    expect(w.workloadId).toBe('checkout-api');
    expect(w.migration.gate.noDataRetries).toBe(3);
    expect(w.metrics[0]?.quantile).toBe(0.95);
    expect(w.metrics[0]).toMatchObject({ minQuantile: 0.8 });
    expect(w.metrics[0]?.maxHeadroom).toBeUndefined();
    expect(w.tags).toEqual({});
  });

  it.each<[string, string, unknown, string, string]>([
    ['missing id', 'workloadId', DELETE, 'workloadId', 'missing'],
    ['id with capitals', 'workloadId', 'Checkout', 'workloadId', '"Checkout"'],
    ['wrong type', 'capacity.maxUnits', 'ten', 'capacity.maxUnits', '"ten"'],
    ['min above max', 'capacity.minUnits', 50, 'capacity.minUnits', '50'],
    ['negative shadow max', 'capacity.shadowMaxUnits', -1, 'capacity.shadowMaxUnits', '-1'],
    ['utilisation above 1', 'capacity.targetUtilization', 1.5, 'capacity.targetUtilization', '1.5'],
    ['unknown compute kind', 'compute.kind', 'lambda', 'compute.kind', '"lambda"'],
    ['bad listener ARN', 'traffic.listenerArn', 'listener-1', 'traffic.listenerArn', '"listener-1"'],
    ['bad region', 'regions.primary', 'useast1', 'regions.primary', '"useast1"'],
    ['standby equal to primary', 'regions.standby', 'us-east-1', 'regions.standby', '"us-east-1"'],
    ['no metrics', 'metrics', [], 'metrics', '[]'],
    ['duplicate metric names', 'metrics.1.name', 'requests', 'metrics', ''],
    ['zero capacity per unit', 'metrics.0.capacityPerUnit', 0, 'metrics[0].capacityPerUnit', '0'],
    ['odd period', 'metrics.0.periodSeconds', 90, 'metrics[0].periodSeconds', '90'],
    ['negative headroom cap', 'metrics.0.maxHeadroom', -0.2, 'metrics[0].maxHeadroom', '-0.2'],
    ['floor quantile of 1', 'metrics.0.minQuantile', 1, 'metrics[0].minQuantile', '1'],
    ['steps not ending at 100', 'migration.steps', [10, 50], 'migration.steps', '[10,50]'],
    ['steps decreasing', 'migration.steps', [50, 25, 100], 'migration.steps', '[50,25,100]'],
    ['hysteresis inverted', 'contention.clearThreshold', 0.5, 'contention.clearThreshold', '0.5'],
    ['unknown top-level field', 'colour', 'blue', 'colour', '"blue"'],
    ['unknown nested field', 'capacity.maxUnit', 3, 'capacity.maxUnit', '3'],
    ['priority out of range', 'priority', 101, 'priority', '101'],
  ])('rejects %s, naming the field and value', (_name, setPath, value, path, shown) => {
    const error = rejectionOf(withValue(setPath, value));
    expect(error.issues.map((i) => i.path)).toContain(path);
    expect(error.message).toContain(`\`${error.issues[0]?.path}\``);
    if (shown) expect(error.message).toContain(shown);
  });
});

describe('EKS compute: the Kubernetes objects deploy-time branching drives', () => {
  const eks = (kubernetes: unknown) => {
    const input = workloadInput() as unknown as Record<string, unknown>;
    input.compute = { kind: 'eks', cluster: 'prod', nodegroup: 'web-nodes', kubernetes };
    return input;
  };

  it('accepts them and applies defaults', () => {
    const w = parseOrThrow(Workload, eks({ deployment: 'web' }), 'workload');
    expect(w.compute).toMatchObject({
      kubernetes: { namespace: 'default', deployment: 'web', replicasPerNode: 1, targetType: 'ip' },
    });
  });

  it.each<[string, unknown, string, string]>([
    ['no Deployment', { namespace: 'shop' }, 'compute.kubernetes.deployment', 'missing'],
    ['a Deployment name with capitals', { deployment: 'Web' }, 'compute.kubernetes.deployment', '"Web"'],
    [
      'a namespace with a dot',
      { deployment: 'web', namespace: 'a.b' },
      'compute.kubernetes.namespace',
      '"a.b"',
    ],
    [
      'a container name too long',
      { deployment: 'web', container: 'c'.repeat(64) },
      'compute.kubernetes.container',
      '<=63 characters',
    ],
    [
      'zero replicas a node',
      { deployment: 'web', replicasPerNode: 0 },
      'compute.kubernetes.replicasPerNode',
      '0',
    ],
    [
      'an unknown target type',
      { deployment: 'web', targetType: 'lambda' },
      'compute.kubernetes.targetType',
      '"lambda"',
    ],
    ['a typo', { deployment: 'web', namepsace: 'x' }, 'compute.kubernetes.namepsace', '"x"'],
  ])('rejects %s, naming the field and value', (_name, kubernetes, path, shown) => {
    const error = rejectionOf(eks(kubernetes));
    expect(error.issues.map((i) => i.path)).toContain(path);
    expect(error.message).toContain(shown);
  });
});
