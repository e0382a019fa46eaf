export * from './hysteresis';
export * from './score';
export * from './sizing';
