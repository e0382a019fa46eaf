import { loadTrace, demoWorkload, SIM_STEP_MS } from './bin/local/demo';
import { runDeployedLoop } from './shared/backtest/deployed';
const DAY = 86_400_000;
const full = loadTrace('test/fixtures/traces/nab-nyc_taxi.csv');
const warm = Number(process.env.WARM ?? 14), days = 1;
const steps = Math.round((warm + days) * DAY / SIM_STEP_MS);
const demo = demoWorkload({ ...full, values: full.values.slice(0, steps) });
const trace = { ...full, values: full.values.slice(0, steps) };
(async () => {
  const t0 = performance.now();
  const run = await runDeployedLoop({ workload: demo.workload, sim: { ...demo.sim, trace }, watchFromMs: trace.startMs + warm * DAY });
  console.error('secs', ((performance.now() - t0) / 1000).toFixed(1));
  const h = run.fleet.get('demo-api').history;
  const per = demo.unitCapacity * 0.7;
  const from = warm * 288;
  let bill = 0, dem = 0;
  for (let i = from; i < h.length; i++) {
    bill += (h.billedPrimary[i] as number) + (h.billedShadow[i] as number);
    dem += (h.demand[i] as number) / per;
    if ((i - from) % 6 === 0) console.log(new Date(h.t[i] as number).toISOString().slice(11,16), 'dem', ((h.demand[i] as number)/per).toFixed(1), 'P', (h.readyPrimary[i] as number).toFixed(1), 'S', (h.readyShadow[i] as number).toFixed(1), 'billed', ((h.billedPrimary[i] as number)+(h.billedShadow[i] as number)).toFixed(1), 'share', (h.shadowShare[i] as number).toFixed(2), 'dP', h.desiredPrimary[i], 'dS', h.desiredShadow[i]);
  }
  console.log('billed/demand', (bill/dem).toFixed(3), run.counts);
  console.log(run.log.entries.filter(e => e.kind !== 'prewarm').map(e => new Date(e.atMs).toISOString().slice(11,19)+' '+e.text).join('\n'));
})();
