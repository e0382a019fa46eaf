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
  | 'info';

const TAGS: Record<LineKind, string> = {
  forecast: 'forecast ',
  prewarm: 'prewarm  ',
  contention: 'contention',
  migration: 'migration',
  weights: 'weights  ',
  rollback: 'ROLLBACK ',
  return: 'return   ',
  info: '         ',
};

export function simTime(ms: number): string {
  return new Date(ms).toISOString().slice(0, 16).replace('T', ' ');
}

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
