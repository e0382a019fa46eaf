import { actionOfSdkExport, SdkCallAnalyzer } from './sdk-calls';

const ENTRY = 'test/infra/fixtures/handlers/sdk-caller.ts';
let analyzer: SdkCallAnalyzer;
beforeAll(() => {
  analyzer = new SdkCallAnalyzer([ENTRY]);
});

describe('SdkCallAnalyzer (negative controls for the grant test)', () => {
  it('follows interface calls only into implementations that are created, and only the called member', () => {
    const reach = analyzer.analyze(ENTRY, 'handler');
    expect([...reach.actions].filter((a) => !a.startsWith('dynamodb:'))).toEqual(['ecs:DescribeServices']);
  });

  it('attributes DynamoDB calls to the literal table, and sees the Powertools persistence layer', () => {
    const reach = analyzer.analyze(ENTRY, 'handler');
    expect(reach.unattributed).toEqual([]);
    expect(Object.fromEntries([...reach.tables].map(([t, u]) => [t, [...u.actions].sort()]))).toEqual({
      signals: ['dynamodb:PutItem'],
      idempotency: ['dynamodb:DeleteItem', 'dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem'],
    });
  });

  it('treats an index chosen at run time as any index of the table', () => {
    const reach = analyzer.analyze(ENTRY, 'other');
    expect([...reach.actions].sort()).toEqual(['dynamodb:Query', 'ecs:DeleteService']);
    expect([...(reach.tables.get('operations')?.indexes ?? [])].sort()).toEqual(['byWorkload', 'recent']);
  });

  it.each([
    ['@aws-sdk/client-ecs', 'DescribeServicesCommand', 'ecs:DescribeServices'],
    ['@aws-sdk/client-lambda', 'InvokeCommand', 'lambda:InvokeFunction'],
    ['@aws-sdk/lib-dynamodb', 'GetCommand', 'dynamodb:GetItem'],
    [
      '@aws-sdk/client-elastic-load-balancing-v2',
      'paginateDescribeRules',
      'elasticloadbalancing:DescribeRules',
    ],
    ['@aws-sdk/client-eventbridge', 'PutEventsCommand', 'events:PutEvents'],
    ['@aws-sdk/client-ecs', 'ECSClient', undefined],
  ])('%s %s is %s', (pkg, name, action) => {
    expect(actionOfSdkExport(pkg, name)).toBe(action);
  });
});
