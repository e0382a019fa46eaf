import { readFileSync } from 'node:fs';
import { join } from 'node:path';

const ROOT = join(__dirname, '..', '..', '..');
const json = (file: string): Record<string, unknown> => JSON.parse(readFileSync(join(ROOT, file), 'utf8'));

describe('a fresh install prints nothing a newcomer would have to ask about', () => {
  it('approves every locked package that has an install script (npm 11 allowScripts)', () => {
    const lock = json('package-lock.json') as {
      packages: Record<string, { hasInstallScript?: boolean; optional?: boolean }>;
    };
    const allow = (json('package.json').allowScripts ?? {}) as Record<string, boolean>;
    const needing = Object.entries(lock.packages)
      .filter(([path, p]) => path !== '' && p.hasInstallScript)
      .map(([path]) => path.slice(path.lastIndexOf('node_modules/') + 'node_modules/'.length));
    expect(needing.length).toBeGreaterThan(0);
    expect(needing.filter((name) => allow[name] !== true)).toEqual([]);
  });

  it('uses the current Biome configuration keys (no deprecated linter.rules.recommended)', () => {
    const biome = json('biome.json') as { linter?: { rules?: Record<string, unknown> } };
    expect(biome.linter?.rules).not.toHaveProperty('recommended');
    expect(biome.linter?.rules?.preset).toBe('recommended');
  });
});
