import { LIFECYCLE_FUNCTIONS } from '../../functions/lifecycle/manifest';
import { expected, granted } from './grant-check';
import { SdkCallAnalyzer } from './sdk-calls';

/**
 * The lifecycle functions are granted exactly what their code can call: the IAM actions of every
 * AWS SDK command reachable from each handler (read from the code, sdk-calls.ts), per DynamoDB
 * table and index too, and no other. (The same check over every manifest is grants.pending.ts.)
 */
let analyzer: SdkCallAnalyzer;

beforeAll(() => {
  analyzer = new SdkCallAnalyzer([...new Set(LIFECYCLE_FUNCTIONS.map((s) => s.entry))]);
});

describe('lifecycle grants equal what each handler can call', () => {
  it.each(LIFECYCLE_FUNCTIONS.map((s) => [s.id, s] as const))('%s', (id, spec) => {
    const reach = analyzer.analyze(spec.entry, spec.handler ?? 'handler');
    const grants = granted(spec);

    expect({ id, unattributedDynamoDbCalls: reach.unattributed }).toEqual({
      id,
      unattributedDynamoDbCalls: [],
    });
    expect({ id, actions: grants.actions }).toEqual({ id, actions: expected(reach) });
    const called = Object.fromEntries(
      [...reach.tables].map(([t, use]) => [
        t,
        { actions: [...use.actions].sort(), indexes: [...use.indexes].sort() },
      ]),
    );
    const given = Object.fromEntries(
      [...grants.tables].map(([t, use]) => [
        t,
        { actions: [...new Set(use.actions)].sort(), indexes: [...new Set(use.indexes)].sort() },
      ]),
    );
    expect({ id, tables: given }).toEqual({ id, tables: called });
  });
});
