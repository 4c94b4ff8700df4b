/** Told once, when the cancellation happens: an object's `handleEvent` (no closure needed) or a function. */
export type CancelListener = { handleEvent(): void } | (() => void);

/**
 * What the completion path and undici read of an abort signal. A real AbortSignal fits it; the
 * server's own are `Cancellation`s.
 */
export interface CancelSignal {
  readonly aborted: boolean;
  addEventListener(type: 'abort', listener: CancelListener, options?: { once?: boolean }): void;
  removeEventListener(type: 'abort', listener: CancelListener): void;
}

/**
 * A one-shot abort shaped like an AbortSignal as far as `CancelSignal` goes, without one: an
 * AbortController per call and listeners on its EventTarget took ~5 % of a /v1 call's main thread
 * (bench/results/2026-12-06.md). Listeners run once, in the order they were added.
 */
export class Cancellation implements CancelSignal {
  aborted = false;
  private listeners: Set<CancelListener> | undefined;

  addEventListener(_type: 'abort', listener: CancelListener): void {
    if (!this.aborted) (this.listeners ??= new Set()).add(listener);
  }

  removeEventListener(_type: 'abort', listener: CancelListener): void {
    this.listeners?.delete(listener);
  }

  abort(): void {
    if (this.aborted) return;
    this.aborted = true;
    const listeners = this.listeners;
    this.listeners = undefined;
    if (listeners)
      for (const listener of listeners) {
        if (typeof listener === 'function') listener();
        else listener.handleEvent();
      }
  }
}
