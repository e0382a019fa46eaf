import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { initSync, MSTL } from '@bsull/augurs/mstl';

/**
 * The one place that loads augurs' WASM. Each augurs module ships its own `*_bg.wasm`; its glue
 * code would fetch it through `import.meta.url`, which neither jest's CJS transform nor a Lambda
 * bundle can follow, so we instantiate synchronously from the file bytes instead.
 *
 * `AUGURS_WASM_DIR` (set by the Lambda bundle, which ships the .wasm files beside the handler)
 * wins over the installed package's directory.
 */
let mstlReady = false;

function wasmDir(): string {
  const fromEnv = process.env.AUGURS_WASM_DIR;
  if (fromEnv !== undefined && fromEnv !== '') return fromEnv;
  // The package exports no ./package.json, so resolve one of its modules instead.
  return dirname(require.resolve('@bsull/augurs/mstl'));
}

function loadMstl(): void {
  if (mstlReady) return;
  const bytes = readFileSync(join(wasmDir(), 'mstl_bg.wasm'));
  initSync({ module: bytes });
  mstlReady = true;
}

/**
 * Fit augurs MSTL (AutoETS trend) with the given seasonal periods and forecast `horizon` steps.
 * Gaps (NaN) must be filled by the caller: MSTL needs a complete series.
 */
export function mstlForecast(
  values: readonly number[],
  periods: readonly number[],
  horizon: number,
): number[] {
  loadMstl();
  const model = MSTL.ets(Uint32Array.from(periods));
  try {
    model.fit(Float64Array.from(values));
    return model.predict(horizon).point;
  } finally {
    model.free();
  }
}
