/**
 * The pre-warm task: the service in shared/prewarm, over whatever ports the runtime provides.
 */
export {
  PrewarmInput,
  type PrewarmPorts,
  type PrewarmResult,
  prewarmWorkload,
  runPrewarm,
  workloadIdOf,
} from '../../shared/prewarm/service';
