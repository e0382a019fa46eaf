import { dirname } from 'node:path';

type AugursModule = typeof import('../../../shared/model/augurs');

function freshAugurs(): AugursModule {
  let mod: AugursModule | undefined;
  jest.isolateModules(() => {
    mod = require('../../../shared/model/augurs') as AugursModule;
  });
  return mod as AugursModule;
}

describe('augurs WASM loading (benchmark baseline only)', () => {
  const saved = process.env.AUGURS_WASM_DIR;
  afterEach(() => {
    if (saved === undefined) delete process.env.AUGURS_WASM_DIR;
    else process.env.AUGURS_WASM_DIR = saved;
  });

  it('loads MSTL synchronously from the installed package and forecasts a clean daily cycle', () => {
    delete process.env.AUGURS_WASM_DIR;
    const values = Array.from({ length: 24 * 14 }, (_, i) => 100 + 10 * Math.sin((2 * Math.PI * i) / 24));
    const fc = freshAugurs().mstlForecast(values, [24], 24);
    expect(fc).toHaveLength(24);
    const worst = Math.max(...fc.map((v, h) => Math.abs(v - (100 + 10 * Math.sin((2 * Math.PI * h) / 24)))));
    expect(worst).toBeLessThan(1);
  });

  it('reads the .wasm from AUGURS_WASM_DIR when set (as the Lambda bundle does)', () => {
    process.env.AUGURS_WASM_DIR = dirname(require.resolve('@bsull/augurs/mstl'));
    expect(freshAugurs().mstlForecast([1, 2, 1, 2, 1, 2, 1, 2], [2], 2)).toHaveLength(2);
    process.env.AUGURS_WASM_DIR = '/nonexistent-augurs-dir';
    expect(() => freshAugurs().mstlForecast([1, 2, 1, 2, 1, 2, 1, 2], [2], 2)).toThrow(/ENOENT|no such file/);
  });
});
