import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { FLOWS, type FlowState, type OperationKind } from '../../../shared/migration/runner';

/**
 * The in-process runner the backtest drives must follow the ASL files exactly: the same states,
 * the same types, the same successors, the same catches, and retries of the errors the ASL retries.
 */
interface AslState {
  Type: string;
  Next?: string;
  Default?: string;
  Choices?: { Next: string }[];
  Catch?: { ErrorEquals: string[]; Next: string }[];
  Retry?: { ErrorEquals: string[] }[];
}

function asl(kind: OperationKind): Record<string, AslState> {
  const file = join(__dirname, '..', '..', '..', 'statemachines', `shadow-pool-${kind}.asl.json`);
  return (JSON.parse(readFileSync(file, 'utf8')) as { States: Record<string, AslState> }).States;
}

function successors(state: FlowState): string[] {
  switch (state.type) {
    case 'Task':
    case 'Wait':
    case 'Pass':
      return [state.next];
    case 'Choice':
      return [...state.choices, state.default];
    default:
      return [];
  }
}

function aslSuccessors(state: AslState): string[] {
  if (state.Type === 'Choice') return [...(state.Choices ?? []).map((c) => c.Next), state.Default ?? ''];
  return state.Next ? [state.Next] : [];
}

describe.each<OperationKind>(['migration', 'return'])('shadow-pool-%s: runner vs ASL', (kind) => {
  const states = asl(kind);
  const flow = FLOWS[kind];

  it('has exactly the ASL states, each of the same type', () => {
    expect(Object.keys(flow).sort()).toEqual(Object.keys(states).sort());
    for (const [name, state] of Object.entries(states))
      expect([name, flow[name]?.type]).toEqual([name, state.Type]);
  });

  it.each(Object.keys(states))('%s: same successors, catches and retried errors', (name) => {
    const a = states[name] as AslState;
    const f = flow[name] as FlowState;
    expect(successors(f)).toEqual(aslSuccessors(a));
    if (f.type === 'Task') {
      const catches = (a.Catch ?? []).flatMap((c) => c.ErrorEquals.map((e) => [e, c.Next]));
      expect(f.catch.map(([e, next]) => [e, next])).toEqual(catches);
      // Lambda's own service errors cannot happen in process; every error of ours is retried alike.
      const retried = (a.Retry ?? []).flatMap((r) => r.ErrorEquals).filter((e) => !e.startsWith('Lambda.'));
      expect([...f.retry].sort()).toEqual(retried.sort());
    }
  });
});
