/**
 * Gathers the calls made while earlier batches are being written into the next batch, so that
 * concurrent delivery attempts share one statement instead of one round trip each. A batch that
 * fails rejects every call in it.
 */
export class Batcher<I, O> {
  private waiting: { item: I; resolve: (out: O) => void; reject: (err: unknown) => void }[] = [];
  private inFlight = 0;
  private scheduled = false;

  constructor(
    private readonly run: (items: I[]) => Promise<O[]>,
    private readonly maxSize = 100,
    private readonly maxInFlight = 2,
  ) {}

  add(item: I): Promise<O> {
    return new Promise<O>((resolve, reject) => {
      this.waiting.push({ item, resolve, reject });
      this.schedule();
    });
  }

  // After the current I/O callbacks, so the calls they make join the same batch.
  private schedule(): void {
    if (this.scheduled || this.inFlight >= this.maxInFlight || this.waiting.length === 0) return;
    this.scheduled = true;
    setImmediate(() => {
      this.scheduled = false;
      this.flush();
    });
  }

  private flush(): void {
    while (this.inFlight < this.maxInFlight && this.waiting.length > 0) {
      const batch = this.waiting.splice(0, this.maxSize);
      this.inFlight++;
      Promise.resolve()
        .then(() => this.run(batch.map((b) => b.item)))
        .then(
          (outs) => batch.forEach((b, i) => b.resolve(outs[i])),
          (err: unknown) => batch.forEach((b) => b.reject(err)),
        )
        .finally(() => {
          this.inFlight--;
          this.schedule();
        });
    }
  }
}
