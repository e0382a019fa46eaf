import { App, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { CAPABILITIES } from '../../infra/capabilities';
import { Tables, tablesUsedBy } from '../../infra/constructs/tables';
import { capabilitySpecs } from '../../infra/stacks/control-plane-stack';
import { ValidationError } from '../../shared/errors';

const stack = () => new Stack(new App(), 'T', { env: { account: '123456789012', region: 'eu-west-1' } });

describe('tables deployed only where some function is granted them', () => {
  it.each([
    [[], []],
    [[{ tables: { signals: ['PutItem'] } }], ['signals']],
    [
      [{ tables: { operations: 'write', workloads: 'read' } }, { tables: { workloads: ['GetItem'] } }],
      ['workloads', 'operations'],
    ],
  ] as const)('tablesUsedBy(%j) = %j', (specs, expected) => {
    expect(tablesUsedBy(specs)).toEqual(expected);
  });

  it('leaves out the idempotency table: no handler of the app uses Powertools idempotency', () => {
    expect(tablesUsedBy(capabilitySpecs(CAPABILITIES))).toEqual([
      'workloads',
      'predictions',
      'signals',
      'operations',
    ]);
  });

  it('creates only the listed tables and refuses to hand out another', () => {
    const scope = stack();
    const tables = new Tables(scope, 'Tables', { prefix: 'p', only: ['workloads', 'signals'] });
    Template.fromStack(scope).resourceCountIs('AWS::DynamoDB::GlobalTable', 2);
    expect(tables.deployed).toEqual(['workloads', 'signals']);
    expect(() => tables.table('idempotency')).toThrow(ValidationError);
    expect(() => tables.table('idempotency')).toThrow('is not deployed');
  });
});
