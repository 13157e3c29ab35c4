import { encodeValue } from '../codec.js';

/** What a `getOrSet` loader receives. Loaders that take no argument keep working. */
export interface LoaderContext {
  /**
   * Aborts when the loaded value is no longer wanted: the cache was closed (reason `E_CLOSED`).
   * Losing the fleet lock does not abort it: the callers still want the value.
   */
  readonly signal: AbortSignal;
}

/** A `getOrSet` loader: returns (or resolves) the value to cache, or `undefined` for nothing. */
export type Loader<R> = (context: LoaderContext) => R;

/** @internal Calls the loader, turning a synchronous throw into a rejection, and checks what it loaded. */
export function runLoader<R>(load: Loader<R>, signal: AbortSignal): Promise<Awaited<R>> {
  return new Promise<Awaited<R>>((resolve) => resolve(load({ signal }) as Awaited<R> | PromiseLike<Awaited<R>>)).then(
    checkStorable,
  );
}

/** A loaded value is checked the same way whether or not it can be cached. */
function checkStorable<T>(value: T): T {
  if (value !== undefined) encodeValue(value);
  return value;
}
