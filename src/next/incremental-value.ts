/**
 * Next's incremental cache values hold Buffers (`rscData`, `body`) and Maps (`segmentData`) besides
 * JSON. They are stored as one JSON string in which a Buffer is `{"$b": base64}` and a Map is
 * `{"$m": [[key, value], …]}` (compression, on by default, takes back most of base64's third).
 */

/** @internal A value as JSON text, Buffers and Maps included. */
export function encodeValue(value: unknown): string {
  return JSON.stringify(value, function replace(this: Record<string, unknown>, key: string, encoded: unknown) {
    // The replacer sees a Buffer after its toJSON(); the raw value is on the holder.
    const raw = this[key];
    if (raw instanceof Uint8Array)
      return { $b: Buffer.from(raw.buffer, raw.byteOffset, raw.byteLength).toString('base64') };
    if (raw instanceof Map) return { $m: [...raw] };
    return encoded;
  });
}

/** @internal The value {@link encodeValue} encoded; throws on text that is not JSON. */
export function decodeValue(text: string): unknown {
  return JSON.parse(text, (_key, value: unknown) => {
    if (typeof value !== 'object' || value === null || Array.isArray(value)) return value;
    const record = value as Record<string, unknown>;
    const keys = Object.keys(record);
    if (keys.length !== 1) return value;
    if (typeof record.$b === 'string') return Buffer.from(record.$b, 'base64');
    if (Array.isArray(record.$m)) return new Map(record.$m as [unknown, unknown][]);
    return value;
  });
}
