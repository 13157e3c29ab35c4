/** A listener of the store's `'error'` event. */
export type ErrorListener = (error: unknown) => void;

/**
 * The part of an event emitter Keyv uses: it calls `store.on('error', …)` and re-emits what comes.
 * Written here rather than taken from `node:events` so the store's declarations need no Node types,
 * and so an `'error'` with no listener is dropped instead of thrown (Node's emitter throws it, which
 * would turn a fail-open read into a crash).
 */
export class ErrorListeners {
  private readonly listeners: ErrorListener[] = [];

  /** Adds a listener (a listener added twice is called twice, as with Node's emitter). */
  add(listener: ErrorListener): void {
    this.listeners.push(listener);
  }

  /** Removes one registration of a listener, if it has one. */
  remove(listener: ErrorListener): void {
    const index = this.listeners.indexOf(listener);
    if (index !== -1) this.listeners.splice(index, 1);
  }

  /** Calls every listener (those registered when the error came); whether there was one. */
  emit(error: unknown): boolean {
    for (const listener of [...this.listeners]) listener(error);
    return this.listeners.length > 0;
  }
}
