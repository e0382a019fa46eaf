export * from './common';
export * from './events';
export * from './operation';
export * from './series';
export * from './signal';
export * from './workload';
