import type memjs from 'memjs';
import { vi } from 'vitest';
import type { NamespacedCache } from '../../src/index.js';
import { Opcode } from '../../src/protocol.js';

/** A memcached binary-protocol request as it was written to the socket. */
export interface SentRequest {
  readonly opcode: number;
  readonly key: string;
  /** The expiry field of a set or add. */
  readonly expiry: number | undefined;
  readonly value: Buffer;
  /** The CAS field (0n: none). */
  readonly cas: bigint;
}

/** Splits written blobs into the requests they carry (the cache writes several per blob). */
export function parseRequests(blobs: readonly Buffer[]): SentRequest[] {
  const requests: SentRequest[] = [];
  for (const blob of blobs) {
    for (let offset = 0; offset < blob.length; ) {
      const keyLength = blob.readUInt16BE(offset + 2);
      const extrasLength = blob[offset + 4] as number;
      const bodyLength = blob.readUInt32BE(offset + 8);
      const extras = blob.subarray(offset + 24, offset + 24 + extrasLength);
      const keyStart = offset + 24 + extrasLength;
      requests.push({
        opcode: blob[offset + 1] as number,
        key: blob.toString('latin1', keyStart, keyStart + keyLength),
        expiry: extrasLength >= 8 ? extras.readUInt32BE(4) : undefined,
        value: blob.subarray(keyStart + keyLength, offset + 24 + bodyLength),
        cas: blob.readBigUInt64BE(offset + 16),
      });
      offset += 24 + bodyLength;
    }
  }
  return requests;
}

/** Records every request written through the client's servers (the writes still happen). */
export function spyOnWrites(client: memjs.Client): {
  requests(): SentRequest[];
  blobs(): readonly Buffer[];
  /**
   * Round trips: the macrotasks in which something was written. Writes made in one turn of the
   * event loop (a request and the batch flushed after it on nextTick) went out together; a write
   * made later waited for something, a reply at the least.
   */
  turns(): number;
  clear(): void;
} {
  const blobs: Buffer[] = [];
  let turns = 0;
  let inTurn = false;
  for (const server of client.servers) {
    const original = server.write.bind(server) as (blob: Buffer) => void;
    vi.spyOn(server as unknown as { write(blob: Buffer): void }, 'write').mockImplementation((blob: Buffer) => {
      blobs.push(Buffer.from(blob));
      if (!inTurn) {
        turns += 1;
        inTurn = true;
        setImmediate(() => {
          inTurn = false;
        });
      }
      original(blob);
    });
  }
  return {
    requests: () => parseRequests(blobs),
    blobs: () => blobs,
    turns: () => turns,
    clear: () => {
      blobs.length = 0;
      turns = 0;
    },
  };
}

/** Readable names of opcodes, for assertions. */
export const OPCODE_NAMES: Readonly<Record<number, string>> = {
  [Opcode.Get]: 'get',
  [Opcode.Set]: 'set',
  [Opcode.Add]: 'add',
  [Opcode.Delete]: 'delete',
};

/** Whether a request is a data-key request (not a token, tag record or lock key). */
export function onDataKey(request: SentRequest): boolean {
  return !/:[tlg]:/.test(request.key);
}

/** The key of the first fleet lock a watched client took or tried to take: its `add`. */
export function fleetLockOf(requests: readonly SentRequest[]): string | undefined {
  return requests.find(
    (request) => request.opcode === Opcode.Add && (onDataKey(request) || request.key.includes(':l:')),
  )?.key;
}

/**
 * Sets `key` of namespace `n` through `cache` (whose memjs client is `client`), then overwrites its
 * data key with `foreign`, written by another client: bytes this library did not write.
 */
export async function overwriteWithForeign(
  client: memjs.Client,
  cache: NamespacedCache,
  key: string,
  foreign: string,
): Promise<void> {
  const wire = spyOnWrites(client);
  await cache.set('n', key, 'ours');
  const dataKey = wire.requests().find((request) => request.opcode === Opcode.Set && onDataKey(request))?.key;
  await client.set(dataKey as string, foreign, {});
}
