import { ReconcileLoop } from './reconcile-loop';

/** Waits for `done` (a loaded machine may run the loop's timers late), at most 5 s. */
async function waitFor(done: () => boolean): Promise<void> {
  for (const until = Date.now() + 5_000; !done() && Date.now() < until;) {
    await new Promise((r) => setTimeout(r, 10));
  }
}

describe(ReconcileLoop.name, () => {
  it('never starts a pass while the last one is still running, and stops after the one in progress', async () => {
    let running = 0;
    let most = 0;
    let passes = 0;
    // Each pass takes five intervals, as one stuck on an outage would.
    const loop = new ReconcileLoop(10, async () => {
      running++;
      passes++;
      most = Math.max(most, running);
      await new Promise((r) => setTimeout(r, 50));
      running--;
    });
    loop.start();
    await new Promise((r) => setTimeout(r, 300));
    await waitFor(() => passes >= 2);
    await loop.stop();
    const after = passes;
    await new Promise((r) => setTimeout(r, 100));

    expect(most).toBe(1);
    expect(passes).toBeGreaterThanOrEqual(2);
    expect(running).toBe(0);
    expect(passes).toBe(after);
  });

  it('goes on after a pass that fails', async () => {
    let passes = 0;
    const loop = new ReconcileLoop(5, () => {
      passes++;
      return Promise.reject(new Error('database down'));
    });
    loop.start();
    await waitFor(() => passes >= 3);
    await loop.stop();
    expect(passes).toBeGreaterThanOrEqual(3);
  });
});
