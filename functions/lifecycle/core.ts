import * as tasks from '../../shared/lifecycle/tasks';
import { clock } from '../runtime';
import { compute } from '../runtime/compute';
import { events } from '../runtime/events';
import { diagnostics, lifecycleRuns, notifier, snapshots } from '../runtime/lifecycle';
import { repositories } from '../runtime/repositories';
import { traffic } from '../runtime/traffic';

/**
 * The lifecycle tasks as plain functions of the state input, over the ports of functions/runtime.
 * Ports are resolved lazily (a getter per port), so each task function builds only the clients
 * its task calls. The Lambda handlers in index.ts wrap these; tests and the local run call them
 * directly as aws-local-stepfunctions task overrides (local.ts).
 */
export type TaskFn = (input: unknown) => Promise<unknown>;

export function lifecycleDeps(): tasks.LifecycleDeps {
  return {
    get clock() {
      return clock();
    },
    get workloads() {
      return repositories().workloads;
    },
    get predictions() {
      return repositories().predictions;
    },
    get runs() {
      return lifecycleRuns();
    },
    get traffic() {
      return traffic();
    },
    get compute() {
      return compute();
    },
    get snapshots() {
      return snapshots();
    },
    get diagnostics() {
      return diagnostics();
    },
    get notifier() {
      return notifier();
    },
    get events() {
      return events();
    },
  };
}

export const evaluate: TaskFn = (input) => tasks.evaluate(lifecycleDeps(), input);
export const scaleDown: TaskFn = (input) => tasks.scaleDown(lifecycleDeps(), input);
export const snapshot: TaskFn = (input) => tasks.snapshot(lifecycleDeps(), input);
export const runTests: TaskFn = (input) => tasks.runTests(lifecycleDeps(), input);
export const notify: TaskFn = (input) => tasks.notify(lifecycleDeps(), input);
export const setPriority: TaskFn = (input) => tasks.setPriority(lifecycleDeps(), input);
export const recordFailure: TaskFn = (input) => tasks.recordFailure(lifecycleDeps(), input);
export const report: TaskFn = (input) => tasks.report(lifecycleDeps(), input);
