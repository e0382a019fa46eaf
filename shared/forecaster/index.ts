/**
 * The forecaster service: what the forecast Lambda, the fan-out, the CLI and the local
 * run call. It reaches the world only through ports (MetricsSource, repositories, EventPublisher).
 */

export * from './fanout';
export * from './plan';
export * from './service';
