import type { Counter, Histogram, LabelValues } from 'prom-client';

/**
 * One labelled series of a prom-client metric, updated in place.
 *
 * prom-client builds and hashes a key string from the labels on every `inc` and `observe`, children
 * included, and then looks the key up by that fresh string: on the chat path this took 3–4 % of a
 * turn's main thread for its eight updates (bench/results/2026-12-06-f.md). A series finds its entry in
 * the metric's own `hashMap` once and adds to it from then on, so the exposition stays prom-client's.
 * That map is prom-client's internal state (15.1.x, pinned): a series that cannot recognise the entry
 * it finds, or whose metric was reset since, goes through the public API instead, and
 * `series.spec.ts` compares both ways' output.
 */
export interface CounterSeries {
  inc(by?: number): void;
}

export interface HistogramSeries {
  observe(value: number): void;
}

interface CounterEntry {
  value: number;
  labels: LabelValues<string>;
}

interface HistogramEntry {
  labels: LabelValues<string>;
  bucketValues: Record<string | number, number>;
  sum: number;
  count: number;
}

interface Internals<E> {
  hashMap?: Record<string, E>;
  enableExemplars?: boolean;
}

function sameLabels(a: LabelValues<string>, b: LabelValues<string>): boolean {
  const keys = Object.keys(a);
  if (keys.length !== Object.keys(b).length) return false;
  return keys.every((k) => String(a[k]) === String(b[k]));
}

function entryOf<E extends { labels: LabelValues<string> }>(
  metric: Internals<E>,
  labels: LabelValues<string>,
  fits: (entry: E) => boolean,
): E | undefined {
  if (metric.enableExemplars || typeof metric.hashMap !== 'object' || metric.hashMap === null)
    return undefined;
  for (const entry of Object.values(metric.hashMap))
    if (typeof entry?.labels === 'object' && sameLabels(entry.labels, labels))
      return fits(entry) ? entry : undefined;
  return undefined;
}

export function counterSeries<T extends string>(
  counter: Counter<T>,
  labels: LabelValues<T>,
): CounterSeries {
  const internals = counter as unknown as Internals<CounterEntry>;
  let map: object | undefined;
  let entry: CounterEntry | undefined;
  return {
    inc(by = 1) {
      if (entry !== undefined && internals.hashMap === map && by >= 0 && by !== Infinity) {
        entry.value += by;
        return;
      }
      // The first update, one after a reset, or a value prom-client must judge: its own path.
      counter.inc(labels, by);
      map = internals.hashMap;
      entry = entryOf(internals, labels, (e) => typeof e.value === 'number');
    },
  };
}

export function histogramSeries<T extends string>(
  histogram: Histogram<T>,
  labels: LabelValues<T>,
): HistogramSeries {
  const internals = histogram as unknown as Internals<HistogramEntry> & { upperBounds?: number[] };
  const bounds = internals.upperBounds ?? [];
  // The buckets' keys as prom-client made them: integral bounds are element indices, the rest names.
  const keys = bounds.map((b) => (Number.isInteger(b) && b >= 0 ? b : String(b)));
  let map: object | undefined;
  let entry: HistogramEntry | undefined;
  return {
    observe(value) {
      if (entry !== undefined && internals.hashMap === map && Number.isFinite(value)) {
        entry.sum += value;
        entry.count += 1;
        for (let i = 0; i < bounds.length; i++) {
          if (value <= bounds[i]) {
            entry.bucketValues[keys[i]] += 1;
            break;
          }
        }
        return;
      }
      histogram.observe(labels, value);
      map = internals.hashMap;
      entry = entryOf(
        internals,
        labels,
        (e) =>
          typeof e.sum === 'number' &&
          typeof e.count === 'number' &&
          typeof e.bucketValues === 'object' &&
          keys.every((k) => typeof e.bucketValues[k] === 'number'),
      );
    },
  };
}
