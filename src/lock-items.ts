/**
 * What the fleet lock leaves at a key (DESIGN §8): an empty item while a caller loads — the lock
 * itself, or at a data key memcached's stub for a miss — and, when that load failed, a short-lived
 * failure marker naming the error. Neither is ever a value: this library's values are never empty
 * and start with 0xF5 (codec.ts), a marker with 'F'.
 */

/** A failed load reported at a key: its error's class name and message. */
export interface LoadFailure {
  readonly name: string;
  readonly message: string;
}

/** A failure marker's first byte. */
const FAILURE_MARK = 0x46; // 'F'
const MAX_MARKER_MESSAGE = 512;

/** Whether `bytes` read at a key are the fleet lock's (an empty item or a failure marker), not a value. */
export function isLockItem(bytes: Buffer): boolean {
  return bytes.length === 0 || bytes[0] === FAILURE_MARK;
}

/** Whether `bytes` are a failure marker. */
export function isFailureMarker(bytes: Buffer): boolean {
  return bytes.length > 0 && bytes[0] === FAILURE_MARK;
}

/**
 * A marker naming what a loader threw. Whatever it threw is described without throwing (a
 * null-prototype object has no `toString`, a `message` getter may throw): the lock is already
 * handed over to this marker, and the caller must still reject with what was thrown.
 */
export function encodeFailure(failure: unknown): Buffer {
  return Buffer.from(`F${JSON.stringify(describeFailure(failure))}`, 'utf8');
}

function describeFailure(failure: unknown): LoadFailure {
  try {
    const error = failure instanceof Error;
    const name = error ? String(failure.name) : 'Error';
    const message = error ? String(failure.message) : String(failure);
    return { name: name.slice(0, MAX_MARKER_MESSAGE), message: message.slice(0, MAX_MARKER_MESSAGE) };
  } catch {
    return { name: 'Error', message: 'the loader failed with a value that cannot be described' };
  }
}

/** The failure a marker names; a marker that does not parse still says that the load failed. */
export function decodeFailure(marker: Buffer): LoadFailure {
  try {
    const parsed: unknown = JSON.parse(marker.toString('utf8', 1));
    if (typeof parsed === 'object' && parsed !== null) {
      const { name, message } = parsed as { name?: unknown; message?: unknown };
      if (typeof name === 'string' && typeof message === 'string') return { name, message };
    }
  } catch {
    // Not JSON: a foreign or truncated marker.
  }
  return { name: 'Error', message: 'the loader failed in another process' };
}
