export * from './decision';
export * from './score';
export * from './sizing';
