import { Counter, Histogram, Registry } from 'prom-client';

import { counterSeries, histogramSeries } from './series';

/** The same two metrics in a registry of their own. */
function metrics() {
  const registry = new Registry();
  const counter = new Counter({
    name: 'calls_total',
    help: 'calls',
    labelNames: ['model', 'status'] as const,
    registers: [registry],
  });
  const histogram = new Histogram({
    name: 'latency_seconds',
    help: 'latency',
    labelNames: ['model'] as const,
    buckets: [0.005, 0.25, 1, 2.5, 10],
    registers: [registry],
  });
  return { registry, counter, histogram };
}

const VALUES = [0.001, 0.005, 0.3, 1, 2, 9.99, 10, 11, 0, 1e-9, 3];

describe('metric series updated in place', () => {
  it('export exactly what prom-client exports for the same updates, across a reset', async () => {
    const own = metrics();
    const direct = metrics();
    const calls = counterSeries(direct.counter, { model: 'm1', status: 'complete' });
    const failed = counterSeries(direct.counter, { model: 'm1', status: 'failed' });
    const latency = histogramSeries(direct.histogram, { model: 'm1' });
    const other = histogramSeries(direct.histogram, { model: 'm2' });

    const round = () => {
      for (const [i, v] of VALUES.entries()) {
        own.counter.inc({ model: 'm1', status: 'complete' }, i);
        calls.inc(i);
        own.counter.inc({ model: 'm1', status: 'failed' });
        failed.inc();
        own.histogram.observe({ model: 'm1' }, v);
        latency.observe(v);
        if (i % 3 === 0) {
          own.histogram.observe({ model: 'm2' }, v * 2);
          other.observe(v * 2);
        }
      }
    };
    round();
    // A series made when its labels already have an entry adds to that entry.
    own.counter.inc({ model: 'm1', status: 'complete' }, 7);
    counterSeries(direct.counter, { status: 'complete', model: 'm1' }).inc(7);
    expect(await direct.registry.metrics()).toBe(await own.registry.metrics());
    expect(await direct.registry.metrics()).toContain(
      'calls_total{model="m1",status="complete"} 62',
    );

    own.registry.resetMetrics();
    direct.registry.resetMetrics();
    round();
    expect(await direct.registry.metrics()).toBe(await own.registry.metrics());
  });

  it('refuse what prom-client refuses, and count nothing for it', async () => {
    const { registry, counter, histogram } = metrics();
    const calls = counterSeries(counter, { model: 'm1', status: 'complete' });
    const latency = histogramSeries(histogram, { model: 'm1' });
    calls.inc();
    latency.observe(0.1);
    const before = await registry.metrics();
    expect(() => calls.inc(-1)).toThrow('not possible to decrease');
    expect(() => calls.inc(Infinity)).toThrow('not a valid number');
    expect(() => latency.observe(Number.NaN)).toThrow('not a valid number');
    expect(await registry.metrics()).toBe(before);
  });
});
