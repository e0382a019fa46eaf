export * from './detector';
export * from './hysteresis';
export * from './pvalue';
export * from './series';
