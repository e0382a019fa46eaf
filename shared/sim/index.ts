/**
 * The simulated fleet: the same ports as AWS (`shared/ports`), backed by a discrete-time model, for
 * the backtester, the local run (`npm start`) and the Step Functions integration tests.
 *
 * ```ts
 * const clock = new ManualClock(trace.startMs);
 * const fleet = new SimFleet({
 *   clock,                                   // the fleet owns time: advance it, never the clock
 *   stepMs: 300_000,                         // accounting step (default: the trace interval)
 *   workloads: [{
 *     workloadId: 'checkout-api',            // maps Workload objects to pools (several per fleet)
 *     trace,                                 // DemandTrace (traceFromPoints / the CSV loader)
 *     unitCapacity: 120,                     // demand one unit serves at 100%, in the trace's unit
 *     targetUtilization: 0.7,                // default 0.7
 *     lagMs: 180_000,                        // provisioning lag, default 3 min
 *     metricDelayMs: 60_000,                 // metric visibility delay, default 1 min
 *     drainMs: 60_000,                       // scaled-in units drain (billed, no traffic), default 1 min
 *     primary: { maxUnits: 25, minUnits: 1, initialUnits: 10, pricePerUnitHour: 0.05 },
 *     shadow: { maxUnits: 10, pricePerUnitHour: 0.04 },   // omit: no shadow pool
 *     workload,                              // optional: the definition, to resolve metrics/ARNs early
 *   }],
 * });
 * const { compute, traffic, metrics, targetHealth } = simPorts(fleet);  // ComputePool, TrafficRouter,
 *                                                                       // MetricsSource, TargetHealthSource
 * fleet.advanceTo(ms); fleet.step();         // move time; each completed step is accounted
 * fleet.injectFailure({ kind: 'gate' });     // shadow 5xx rate jumps (errorRate, default 0.2)
 * fleet.injectFailure({ kind: 'provision' });// shadow units launched from now never become ready
 * fleet.injectFailure({ kind: 'throttle', times: 2 }); // next 2 adapter calls throw TransientError
 * fleet.clearFailures();
 * fleet.get('checkout-api').history;         // per-step series: demand, ready/billed units per pool,
 *                                            // shadow share, requests, 5xx, p99, unserved
 * ```
 *
 * Physics: a unit launched at t is ready at t + lag (time is continuous inside a step); a scale-in
 * cancels pending units first, then ready units stop taking traffic at once and drain (billed) for
 * `drainMs`; pending, ready and draining units are billed. Traffic is split by integer weights that
 * sum to 100, and the router refuses (NotReadyError) a weight on a pool with no ready unit. A pool
 * given more than its ready capacity (at 100%) answers the excess with 5xx and its p99 latency
 * rises past a knee. A metric sample of a step is visible from the step's end + the metric delay;
 * target groups publish per minute, as ALB does, also inside longer steps (demand spread evenly over
 * the step); a target group that took no request in the window reads as "no data", never zeros. Scaling a
 * pool beyond its maximum is refused (ValidationError), as ECS/ASG refuse a desired count > max.
 */
export {
  SimComputePool,
  SimMetricsSource,
  SimTargetHealthSource,
  SimTrafficRouter,
  simPorts,
} from './adapters';
export {
  type FailureInjection,
  FleetHistory,
  p99Latency,
  SimFleet,
  type SimFleetOptions,
  SimPool,
  type SimPoolOptions,
  SimWorkload,
  type SimWorkloadOptions,
} from './fleet';
export {
  autoUnitCapacity,
  type DemandTrace,
  demandUnits,
  medianSpacing,
  quantileOf,
  type TraceReport,
  traceFromPoints,
} from './trace';
