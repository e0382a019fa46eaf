import { ForecastInputError } from '../errors';

/** One parsed CSV row. `v` is NaN where the file held a non-numeric value (kept for hygiene reports). */
export interface RawPoint {
  t: number;
  v: number;
}

/**
 * Parse `timestamp,value` CSV (ISO-8601 timestamps; a header row is optional). Rows stay in file
 * order: de-duplication, sorting and regularisation belong to input hygiene, which reports them.
 * Throws ForecastInputError naming the line for an unreadable timestamp.
 */
export function parseTimestampValueCsv(text: string, source = 'input'): RawPoint[] {
  const points: RawPoint[] = [];
  const lines = text.split(/\r?\n/);
  for (let i = 0; i < lines.length; i++) {
    const line = (lines[i] ?? '').trim();
    if (line === '' || line.startsWith('#')) continue;
    const comma = line.indexOf(',');
    if (comma < 0)
      throw new ForecastInputError(
        `${source} line ${i + 1}: expected "timestamp,value", got ${JSON.stringify(line.slice(0, 60))}`,
      );
    const ts = line.slice(0, comma).trim().replace(/^"|"$/g, '');
    const raw = line
      .slice(comma + 1)
      .trim()
      .replace(/^"|"$/g, '');
    if (points.length === 0 && i === firstContentLine(lines) && ts.toLowerCase() === 'timestamp') continue;
    const t = parseTimestamp(ts);
    if (Number.isNaN(t)) {
      throw new ForecastInputError(
        `${source} line ${i + 1}: timestamp ${JSON.stringify(ts)} is not ISO-8601`,
      );
    }
    const v = raw === '' ? Number.NaN : Number(raw);
    points.push({ t, v: Number.isFinite(v) ? v : Number.NaN });
  }
  return points;
}

function firstContentLine(lines: readonly string[]): number {
  return lines.findIndex((l) => l.trim() !== '' && !l.trim().startsWith('#'));
}

/** ISO-8601 with or without zone (no zone = UTC, as CloudWatch exports and NAB files are read). */
export function parseTimestamp(text: string): number {
  if (!/^\d{4}-\d{2}-\d{2}([T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?)?(Z|[+-]\d{2}:?\d{2})?$/.test(text))
    return Number.NaN;
  const iso = text.replace(' ', 'T');
  const hasZone = /(Z|[+-]\d{2}:?\d{2})$/.test(iso);
  return Date.parse(hasZone ? iso : `${iso}Z`);
}

/** Serialise points back to `timestamp,value` CSV with ISO-8601 UTC timestamps. */
export function toTimestampValueCsv(points: readonly { t: number; v: number | null }[]): string {
  const rows = points.map(
    (p) => `${new Date(p.t).toISOString()},${p.v === null || Number.isNaN(p.v) ? '' : p.v}`,
  );
  return `timestamp,value\n${rows.join('\n')}\n`;
}

/** What reading a file changed, in the counts a person checks first. */
export interface Repairs {
  /** Rows on a timestamp (or grid slot) another row already took. */
  duplicates: number;
  /** Rows with no numeric value. */
  dropped: number;
  /** Negative values raised to 0. */
  clamped: number;
  /** Missing steps filled (carried forward or interpolated) or left as gaps. */
  gaps: number;
  /** Rows earlier than the row before them (sorted into time order). */
  reordered: number;
}

/** One line saying what was repaired, or undefined when the file needed nothing. */
export function repairLine(source: string, rows: number, r: Repairs): string | undefined {
  const parts = [
    r.duplicates > 0 ? `${r.duplicates} duplicate${r.duplicates === 1 ? '' : 's'}` : '',
    r.dropped > 0 ? `${r.dropped} dropped (no numeric value)` : '',
    r.clamped > 0 ? `${r.clamped} clamped (negative to 0)` : '',
    r.gaps > 0 ? `${r.gaps} gap step${r.gaps === 1 ? '' : 's'} filled` : '',
    r.reordered > 0 ? `${r.reordered} out of order (sorted)` : '',
  ].filter((p) => p !== '');
  if (parts.length === 0) return undefined;
  return `${source}: repaired ${parts.join(', ')} in ${rows} rows`;
}

/**
 * Refuse a file where most rows have no usable value: repairing it would invent the series (a
 * semicolon-separated export reads as one column of text; a wrong column holds labels).
 */
export function assertMostlyUsable(points: readonly RawPoint[], source: string): void {
  const unusable = points.filter((p) => !Number.isFinite(p.v) || !Number.isFinite(p.t)).length;
  if (points.length > 0 && unusable * 2 > points.length) {
    throw new ForecastInputError(
      `${source ? `${source}: ` : ''}${unusable} of ${points.length} rows have no numeric values; expected timestamp,value rows`,
    );
  }
}
