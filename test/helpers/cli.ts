import type { CliIO } from '../../bin/cli/context';
import { main } from '../../bin/cli/main';

export interface CliRun {
  code: number;
  out: string;
  err: string;
}

/** Run the CLI in process, as `shadowscale <args>`, capturing what it writes. */
export async function runCli(...args: string[]): Promise<CliRun> {
  let out = '';
  let err = '';
  const io: CliIO = { out: (t) => (out += t), err: (t) => (err += t), isTTY: false };
  const code = await main(['node', 'shadowscale', ...args], io);
  return { code, out, err };
}
