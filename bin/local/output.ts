import { utcMinute } from '../../shared/report/time-axis';
import type { CliIO } from '../cli/context';

/**
 * What a person watching `npm start` sees: one line per event on stdout, stamped with simulated
 * time, and a progress bar over simulated time on stderr (redrawn in place on a terminal, a few
 * plain lines otherwise). Lines and bar never interleave badly: the bar is cleared before a line.
 */

export type LineKind =
  | 'forecast'
  | 'prewarm'
  | 'contention'
  | 'migration'
  | 'weights'
  | 'rollback'
  | 'return'
  | 'anomaly'
  | 'lifecycle'
  | 'info';

const TAGS: Record<LineKind, string> = {
  forecast: 'forecast ',
  prewarm: 'prewarm  ',
  contention: 'contention',
  migration: 'migration',
  weights: 'weights  ',
  rollback: 'ROLLBACK ',
  return: 'return   ',
  anomaly: 'ANOMALY  ',
  lifecycle: 'lifecycle',
  info: '         ',
};

/** A simulated time as the output prints it: the UTC minute. */
export const simTime = utcMinute;

export function formatLine(atMs: number, kind: LineKind, text: string): string {
  return `${simTime(atMs)}  ${TAGS[kind].padEnd(10)}  ${text}`;
}

export function progressBar(fraction: number, width = 28): string {
  const f = Math.min(1, Math.max(0, fraction));
  const full = Math.round(f * width);
  return `[${'#'.repeat(full)}${'.'.repeat(width - full)}] ${(f * 100).toFixed(0).padStart(3)}%`;
}

export class LocalOutput {
  private barShown = false;
  private lastPlainPercent = -1;
  readonly lines: { atMs: number; kind: LineKind; text: string }[] = [];

  constructor(
    private readonly io: CliIO,
    private readonly quiet: boolean,
  ) {}

  line(atMs: number, kind: LineKind, text: string): void {
    this.lines.push({ atMs, kind, text });
    if (this.quiet) return;
    this.clearBar();
    this.io.out(`${formatLine(atMs, kind, text)}\n`);
  }

  /** Plain text (headers, the summary table). */
  text(text: string): void {
    this.clearBar();
    this.io.out(text.endsWith('\n') ? text : `${text}\n`);
  }

  progress(fraction: number, atMs: number, note: string): void {
    if (this.io.isTTY) {
      this.io.err(`\r${progressBar(fraction)} ${simTime(atMs)} ${note}`.padEnd(100));
      this.barShown = true;
      return;
    }
    // Without a terminal: a plain line every 25%.
    const percent = Math.floor(fraction * 4) * 25;
    if (percent > this.lastPlainPercent) {
      this.lastPlainPercent = percent;
      this.io.err(`progress ${percent}% (simulated ${simTime(atMs)}) ${note}\n`);
    }
  }

  clearBar(): void {
    if (!this.barShown) return;
    this.io.err(`\r${' '.repeat(100)}\r`);
    this.barShown = false;
  }
}

/** A fixed-width table: first row is the header. */
export function table(rows: readonly (readonly string[])[]): string {
  const widths: number[] = [];
  for (const row of rows) {
    row.forEach((cell, i) => {
      widths[i] = Math.max(widths[i] ?? 0, cell.length);
    });
  }
  const fmt = (row: readonly string[]): string =>
    row.map((cell, i) => (i === 0 ? cell.padEnd(widths[i] ?? 0) : cell.padStart(widths[i] ?? 0))).join('  ');
  const [header, ...body] = rows;
  if (!header) return '';
  const rule = widths.map((w) => '-'.repeat(w)).join('  ');
  return [fmt(header), rule, ...body.map(fmt)].join('\n');
}

/** One row of the comparison with reactive scaling: both values formatted, and their ratio. */
export interface ComparisonRow {
  label: string;
  shadowscale: string;
  reactive: string;
  ratio: string;
  /** The hindsight oracle's value on the same trace: the floor no real policy reaches. */
  oracle: string;
  /** The oracle's value over reactive's. */
  oracleRatio: string;
  /** Printed in the terminal summary too (the report shows every row). */
  terminal: boolean;
}

interface Metric {
  overload_minutes: number;
  unserved_fraction: number;
  tau_u: number;
  theta_u: number;
  theta_o: number;
  instability: number;
  unit_hours: number;
  cost: number;
  actions: number;
}

const COMPARED: readonly [string, (m: Metric) => number, number, string, boolean][] = [
  ['minutes overloaded', (m) => m.overload_minutes, 0, '', true],
  ['unserved demand', (m) => m.unserved_fraction * 100, 2, '%', true],
  ['under-provisioned time τU', (m) => m.tau_u, 1, '%', true],
  ['under-provisioning θU', (m) => m.theta_u, 2, '%', true],
  ['over-provisioning θO', (m) => m.theta_o, 1, '%', true],
  ['instability υ', (m) => m.instability, 1, '%', false],
  ['unit-hours', (m) => m.unit_hours, 1, '', true],
  ['cost (USD)', (m) => m.cost, 2, '', true],
  ['scaling actions', (m) => m.actions, 0, '', true],
];

/** The run's elasticity metrics beside reactive scaling's, for the summary and the report. */
export function comparisonRows(shadowscale: Metric, reactive: Metric, oracle: Metric): ComparisonRow[] {
  const ratio = (a: number, b: number) => (b !== 0 ? `${(a / b).toFixed(2)}×` : a === 0 ? '=' : '—');
  return COMPARED.map(([label, pick, digits, unit, terminal]) => {
    const a = pick(shadowscale);
    const b = pick(reactive);
    const o = pick(oracle);
    return {
      label,
      shadowscale: `${a.toFixed(digits)}${unit}`,
      reactive: `${b.toFixed(digits)}${unit}`,
      ratio: ratio(a, b),
      oracle: `${o.toFixed(digits)}${unit}`,
      oracleRatio: ratio(o, b),
      terminal,
    };
  });
}

/** At most `max` characters, cut at a word boundary with an ellipsis: never mid-word. */
export function clip(text: string, max: number): string {
  const flat = text.replace(/\s+/g, ' ').trim();
  if (flat.length <= max) return flat;
  const cut = flat.slice(0, max - 1);
  // The cut ends a word when the next character is a space; otherwise back up to the last space.
  const space = flat[max - 1] === ' ' ? cut.length : cut.lastIndexOf(' ');
  return `${(space > max / 2 ? cut.slice(0, space) : cut).replace(/[\s,;:(]+$/, '')}…`;
}
