import { InvokeCommand, LambdaClient } from '@aws-sdk/client-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import { awsSmokeRunner } from '../../../shared/aws/http-smoke';
import { Workload } from '../../../shared/schemas/workload';
import { workloadInput } from '../../helpers/fixtures';

const lambda = mockClient(LambdaClient);
const workload = Workload.parse(workloadInput());
const encode = (value: unknown) => new TextEncoder().encode(JSON.stringify(value));

beforeEach(() => lambda.reset());

describe('awsSmokeRunner (Lambda)', () => {
  it.each<[string, { Payload?: Uint8Array; FunctionError?: string }, boolean]>([
    ['an answer passes', { Payload: encode({ ok: true, checked: 3 }) }, true],
    ['{"ok": false} fails', { Payload: encode({ ok: false, reason: 'checkout 500' }) }, false],
    [
      'a function error fails',
      { FunctionError: 'Unhandled', Payload: encode({ errorMessage: 'boom' }) },
      false,
    ],
  ])('%s', async (_name, answer, ok) => {
    lambda.on(InvokeCommand).resolves({ StatusCode: 200, ...answer } as never);
    const result = await awsSmokeRunner.run({ kind: 'lambda', functionName: 'checkout-smoke' }, workload);
    expect(result.ok).toBe(ok);
    const sent = lambda.commandCalls(InvokeCommand)[0]?.args[0].input;
    expect(sent?.FunctionName).toBe('checkout-smoke');
    expect(JSON.parse(new TextDecoder().decode(sent?.Payload as Uint8Array))).toEqual({
      workloadId: 'checkout-api',
      targetGroupArn: workload.traffic.shadowTargetGroupArn,
    });
  });
});
