/**
 * What the fleet lock leaves at a key (DESIGN §8): an empty item while a caller loads — the lock
 * itself, or at a data key its stub for a miss — and, when that load failed, a short-lived failure
 * marker naming the error: `F` and a JSON object with the error's `name` and `message`. Neither is
 * ever a value: this library's values are never empty and start with 0xF5 (codec.ts). Other bytes
 * starting with `F` are a foreign value (reported as such), not a marker.
 */

/** A failed load reported at a key: its error's class name and message. */
export interface LoadFailure {
  readonly name: string;
  readonly message: string;
}

/** A failure marker's first two bytes: `F{`. */
const FAILURE_MARK = 0x46; // 'F'
const JSON_OBJECT = 0x7b; // '{'
const MAX_MARKER_MESSAGE = 512;

/** Whether `bytes` read at a key are the fleet lock's (an empty item or a failure marker), not a value. */
export function isLockItem(bytes: Buffer): boolean {
  return bytes.length === 0 || isFailureMarker(bytes);
}

/** Whether `bytes` are a failure marker. */
export function isFailureMarker(bytes: Buffer): boolean {
  return bytes[0] === FAILURE_MARK && bytes[1] === JSON_OBJECT && parseFailure(bytes) !== undefined;
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

/** The failure a marker names. */
export function decodeFailure(marker: Buffer): LoadFailure {
  return parseFailure(marker) ?? { name: 'Error', message: 'the loader failed in another process' };
}

/** The failure that `bytes` name if they are a marker; `undefined` if they are not one. */
function parseFailure(bytes: Buffer): LoadFailure | undefined {
  try {
    const parsed: unknown = JSON.parse(bytes.toString('utf8', 1));
    if (typeof parsed === 'object' && parsed !== null) {
      const { name, message } = parsed as { name?: unknown; message?: unknown };
      if (typeof name === 'string' && typeof message === 'string') return { name, message };
    }
  } catch {
    // Not JSON: not a marker.
  }
  return undefined;
}
