export * from './compute';
export * from './events';
export * from './metrics';
export * from './repositories';
export * from './traffic';
