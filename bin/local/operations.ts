import { join } from 'node:path';
import type { StateMachineDefinition } from 'aws-local-stepfunctions';
import type { FunctionSpec, StateMachineSpec } from '../../functions/manifest';
import { MIGRATION_FUNCTIONS, MIGRATION_STATE_MACHINES } from '../../functions/migration/manifest';
import { startInputForEvent } from '../../shared/migration/transformer';
import type { ShadowscaleEvent } from '../../shared/schemas/events';
import {
  type ExecutionLogEvent,
  type JSONValue,
  loadDefinition as loadAsl,
  type StartOptions,
  type TaskHandler,
  taskHandlers,
} from '../../shared/sim/asl-runner';
import { type LambdaHandler, loadHandler, localArn, localFunction } from './lambda';
import type { LineKind } from './output';

/**
 * Runs the real shadow-pool state machines locally: the ASL files exactly as CDK deploys them,
 * their `${...FunctionArn}` placeholders filled with local ARNs, and each Task calling the real
 * Lambda handler that the function manifest names (the middy-wrapped export, middleware and all),
 * in process, with a Lambda-like context. The input is what the EventBridge rule's input
 * transformer gives the execution in AWS.
 */

export type OperationKind = 'migration' | 'return';

const ROOT = join(__dirname, '..', '..');

/** The ASL of a state machine spec with its placeholders filled; fails on one left unfilled. */
export function loadDefinition(
  machine: StateMachineSpec,
  functions: readonly FunctionSpec[],
): { definition: StateMachineDefinition; substitutions: Record<string, string> } {
  const substitutions: Record<string, string> = { ...(machine.substitutions ?? {}) };
  for (const spec of functions) if (spec.substitution) substitutions[spec.substitution] = localArn(spec);
  return { definition: loadAsl(join(ROOT, machine.file), substitutions), substitutions };
}

/** Task state name → the real Lambda handler its function spec names, invoked in process. */
export function localHandlers(
  definition: StateMachineDefinition,
  functions: readonly FunctionSpec[],
  load: (spec: FunctionSpec) => LambdaHandler = loadHandler,
): Record<string, TaskHandler> {
  const substitutions: Record<string, string> = {};
  const bySubstitution: Record<string, TaskHandler> = {};
  for (const spec of functions) {
    if (!spec.substitution) continue;
    substitutions[spec.substitution] = localArn(spec);
    const invoke = localFunction(spec, load(spec));
    bySubstitution[spec.substitution] = async (input) => (await invoke(input)) as JSONValue;
  }
  return taskHandlers(definition, { substitutions, bySubstitution });
}

/**
 * The execution input the `Contention Predicted` / `Contention Cleared` rule's input transformer
 * gives the execution in AWS (the same transformer the CDK app deploys).
 */
export function executionInput(kind: OperationKind, event: ShadowscaleEvent, eventId: string): JSONValue {
  const started = startInputForEvent(event, eventId);
  if (!started || started.kind !== kind) {
    throw new Error(`a ${event.detailType} event does not start a ${kind}`);
  }
  return started.input as JSONValue;
}

function findWeights(value: unknown, depth = 0): { primary: number; shadow: number } | undefined {
  if (value === null || typeof value !== 'object' || depth > 4) return undefined;
  const v = value as Record<string, unknown>;
  if (typeof v.primary === 'number' && typeof v.shadow === 'number')
    return { primary: v.primary, shadow: v.shadow };
  for (const key of ['run', 'cursor', 'verified', 'weights', 'Payload']) {
    const found = findWeights(v[key], depth + 1);
    if (found) return found;
  }
  return undefined;
}

export type NoteFn = (atMs: number, kind: LineKind, text: string) => void;

/** One line per state entered (repeated polls collapsed), one per verified weight step. */
export function executionNarrator(
  kind: OperationKind,
  note: NoteFn,
): (event: ExecutionLogEvent, at: number) => void {
  const label: LineKind = kind === 'migration' ? 'migration' : 'return';
  let lastState = '';
  let repeats = 0;
  return (event, at) => {
    if (event.type === 'state-entered' && (event.stateType === 'Task' || event.stateType === 'Fail')) {
      if (event.state === lastState) {
        repeats++;
        return;
      }
      const suffix = repeats > 0 ? `   (after ${lastState} ×${repeats + 1})` : '';
      lastState = event.state;
      repeats = 0;
      note(at, label, `▸ ${event.state}${suffix}`);
    } else if (event.type === 'state-exited' && /shift/i.test(event.state)) {
      const weights = findWeights(event.output);
      if (weights)
        note(at, 'weights', `primary ${weights.primary}% / shadow ${weights.shadow}% (read back, verified)`);
    } else if (event.type === 'state-caught') {
      note(at, 'rollback', `${event.state} failed; compensating`);
    } else if (event.type === 'state-failed' && event.error !== 'States.Runtime') {
      note(at, label, `${event.state}: ${event.error}`);
    }
  };
}

export interface OperationLauncher {
  start(kind: OperationKind, event: ShadowscaleEvent, name: string, note: NoteFn): StartOptions;
}

export function operationLauncher(): OperationLauncher {
  const machines = new Map<
    OperationKind,
    { definition: StateMachineDefinition; handlers: Record<string, TaskHandler> }
  >();
  // Loaded on first use: the ASL files and handler modules are read once per run.
  const machine = (kind: OperationKind) => {
    const loaded = machines.get(kind);
    if (loaded) return loaded;
    const spec = MIGRATION_STATE_MACHINES.find((m) => m.file.endsWith(`shadow-pool-${kind}.asl.json`));
    if (!spec) throw new Error(`no state machine spec for shadow-pool-${kind}`);
    const functions = MIGRATION_FUNCTIONS.filter((f) => spec.functions.includes(f.id));
    const { definition } = loadDefinition(spec, functions);
    const built = { definition, handlers: localHandlers(definition, functions) };
    machines.set(kind, built);
    return built;
  };
  return {
    start(kind, event, name, note) {
      const { definition, handlers } = machine(kind);
      return {
        name,
        definition,
        handlers,
        input: executionInput(kind, event, `local-${name}`),
        onEvent: executionNarrator(kind, note),
      };
    },
  };
}
