import { type Meter, USAGE_ITEMS, type UsageItem } from '../ports/meter';

export type Usage = Record<UsageItem, number>;

export function emptyUsage(): Usage {
  return Object.fromEntries(USAGE_ITEMS.map((k) => [k, 0])) as Usage;
}

/** Sums what the adapters count; `take()` reads and resets (one run's usage at a time). */
export class MemoryMeter implements Meter {
  private usage = emptyUsage();

  add(item: UsageItem, quantity: number): void {
    if (!(quantity >= 0) || !Number.isFinite(quantity))
      throw new RangeError(`meter ${item}: quantity ${quantity} must be a finite number >= 0`);
    this.usage[item] += quantity;
  }

  get totals(): Readonly<Usage> {
    return this.usage;
  }

  take(): Usage {
    const out = this.usage;
    this.usage = emptyUsage();
    return out;
  }
}

/** a + b, item by item. */
export function addUsage(a: Readonly<Usage>, b: Readonly<Usage>): Usage {
  const out = emptyUsage();
  for (const k of USAGE_ITEMS) out[k] = a[k] + b[k];
  return out;
}

/** usage × factor, item by item. */
export function scaleUsage(u: Readonly<Usage>, factor: number): Usage {
  const out = emptyUsage();
  for (const k of USAGE_ITEMS) out[k] = u[k] * factor;
  return out;
}
