import { ValidationError } from '../../../shared/errors';
import { MigrationInput, operationIdFromExecutionName } from '../../../shared/migration/input';
import { loadBalancerDimension } from '../../../shared/migration/tasks';
import { parseOrThrow } from '../../../shared/validation';

describe('MigrationInput', () => {
  it('accepts a console run', () => {
    expect(MigrationInput.parse({ workloadId: 'checkout-api' })).toEqual({ workloadId: 'checkout-api' });
  });

  it.each<[string, unknown, RegExp]>([
    ['missing workload', {}, /field `workloadId` missing/],
    ['bad workload id', { workloadId: 'Checkout API' }, /field `workloadId` = "Checkout API"/],
    [
      'steps not ending at 100',
      { workloadId: 'a', steps: [10, 50] },
      /field `steps` = \[10,50\]: must end at 100/,
    ],
    ['steps not increasing', { workloadId: 'a', steps: [50, 10, 100] }, /field `steps`.*strictly increasing/],
    [
      'unknown field (a typo)',
      { workloadId: 'a', step: [100] },
      /field `step` = \[100\]: is not a known field/,
    ],
    ['negative bake', { workloadId: 'a', bakeSeconds: -1 }, /field `bakeSeconds` = -1/],
    ['unknown preset', { workloadId: 'a', preset: 'fast' }, /field `preset` = "fast"/],
  ])('rejects %s, naming the field', (_name, input, message) => {
    expect(() => parseOrThrow(MigrationInput, input, 'execution input')).toThrow(ValidationError);
    expect(() => parseOrThrow(MigrationInput, input, 'execution input')).toThrow(message);
  });
});

describe('operationIdFromExecutionName', () => {
  it.each([
    ['run-1', 'run-1'],
    ['a b/c', 'a-b-c'],
    ['', 'operation'],
    ['x'.repeat(200), 'x'.repeat(128)],
  ])('%p -> %p', (name, expected) => {
    expect(operationIdFromExecutionName(name)).toBe(expected);
  });
});

describe('loadBalancerDimension', () => {
  const listenerArn =
    'arn:aws:elasticloadbalancing:us-east-1:123456789012:listener/app/prod-alb/50dc6c495c0c9188/f2f7dc8efc522ab2';
  const base = {
    listenerArn,
    primaryTargetGroupArn: 'arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/a/1',
    shadowTargetGroupArn: 'arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/b/2',
  };
  it.each([
    ['configured wins', { ...base, loadBalancerDimension: 'app/other/1' }, 'app/other/1'],
    ['derived from the listener ARN', base, 'app/prod-alb/50dc6c495c0c9188'],
  ])('%s', (_name, traffic, expected) => {
    expect(loadBalancerDimension(traffic)).toBe(expected);
  });
});
