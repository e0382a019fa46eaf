/**
 * The pre-warm task: the service in shared/prewarm, over whatever ports the runtime provides.
 */
export { PrewarmInput, type PrewarmPorts, type PrewarmResult, runPrewarm } from '../../shared/prewarm/service';
