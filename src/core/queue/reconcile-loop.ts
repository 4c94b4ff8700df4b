/**
 * Runs `pass` every `everyMs`, the next pass scheduled only once the last has ended, so passes
 * never overlap (a pass stuck on a database or Redis outage would otherwise be joined by more).
 */
export class ReconcileLoop {
  private timer?: NodeJS.Timeout;
  private stopped = false;
  private running?: Promise<void>;

  constructor(
    private readonly everyMs: number,
    private readonly pass: () => Promise<void>,
  ) {}

  start(): void {
    this.schedule();
  }

  private schedule(): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => {
      this.running = this.pass()
        .catch(() => undefined)
        .finally(() => {
          this.running = undefined;
          this.schedule();
        });
    }, this.everyMs);
    this.timer.unref();
  }

  /** No pass starts after this; resolves once the one in progress has ended. */
  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    await this.running;
  }
}
