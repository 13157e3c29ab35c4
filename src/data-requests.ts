import { decodeValue, UNDECODABLE } from './codec.js';
import { CacheError, type CacheOperation } from './errors.js';
import { type FailurePolicy, refusedWrite, serverError } from './failure-policy.js';
import { staleFor } from './freshness.js';
import { isLockItem } from './lock-items.js';
import { Opcode, Status } from './protocol.js';
import type { Transport } from './transport.js';

/**
 * The three requests on data keys, with memcached statuses turned into results. Shared by the
 * single-key, batch and read-through operations.
 */

/**
 * A read that takes the key's fleet lock if it misses, where the protocol can (meta `mg … N`,
 * {@link Transport.getOrStub}): `won` is told the stub's CAS when this read created it.
 */
export interface LockingRead {
  /** The stub's expiry, as sent. */
  readonly ttl: number;
  /** Called (before the read's callback) when this read created the stub: its CAS. */
  won(cas: bigint): void;
}

/**
 * Reads a data key: the stored bytes, or `undefined` on a miss. The bytes may be a lock item
 * (lock-items.ts), which {@link decodeData} reads as a miss; a stub won by `locking` reads as a miss.
 */
export function readData(
  transport: Transport,
  dataKey: string,
  deadline: number,
  done: (error: CacheError | undefined, bytes: Buffer | undefined) => void,
  locking?: LockingRead,
): void {
  const callback = (error: CacheError | undefined, status: number, value: Buffer, cas: bigint): void => {
    if (error !== undefined) done(error, undefined);
    else if (status === Status.Ok) done(undefined, value);
    else if (status === Status.NotFound) done(undefined, undefined);
    else if (status === Status.WonStub && locking !== undefined) {
      locking.won(cas);
      done(undefined, undefined);
    } else done(serverError('read', status), undefined);
  };
  if (locking !== undefined && transport.stubs) transport.getOrStub(dataKey, locking.ttl, deadline, callback);
  else transport.get(dataKey, deadline, callback);
}

/** Deletes a data key: whether it existed. */
export function deleteData(
  transport: Transport,
  dataKey: string,
  deadline: number,
  done: (error: CacheError | undefined, existed: boolean | undefined) => void,
): void {
  transport.delete(dataKey, deadline, (error, status) => {
    if (error !== undefined) done(error, undefined);
    else if (status === Status.Ok || status === Status.NotFound) done(undefined, status === Status.Ok);
    else done(serverError('delete', status), undefined);
  });
}

/**
 * Stores a data key. When memcached refuses the value (too large, out of memory), the key is
 * deleted so that no older value stays readable (invariant I3), and the refusal is the error; if
 * that delete fails as well, the error is `E_STALE_VALUE`.
 */
export function storeData(
  transport: Transport,
  dataKey: string,
  bytes: Uint8Array,
  expiry: number,
  deadline: number,
  done: (error: CacheError | undefined, stored: boolean | undefined) => void,
): void {
  transport.store(Opcode.Set, dataKey, bytes, expiry, deadline, (error, status) => {
    if (error !== undefined) return done(error, undefined);
    if (status === Status.Ok) return done(undefined, true);
    dropOlderValue(transport, dataKey, refusedWrite(status), deadline, done);
  });
}

/**
 * After a write of `dataKey` failed with `failure`, deletes the key so that no older value stays
 * readable (I3): calls back with `failure`, or `E_STALE_VALUE` if the delete failed as well.
 */
export function dropOlderValue(
  transport: Transport,
  dataKey: string,
  failure: CacheError,
  deadline: number,
  done: (error: CacheError, stored: undefined) => void,
): void {
  deleteData(transport, dataKey, deadline, (deleteError) => {
    if (deleteError === undefined) return done(failure, undefined);
    const message = `${failure.message}; deleting the older value failed too, so it may be served until it expires`;
    done(new CacheError('E_STALE_VALUE', message, { cause: deleteError }), undefined);
  });
}

/**
 * The value of a read, or `undefined` for a miss: no bytes, a value past its fresh ttl (only
 * `getOrSet`'s stale windows may serve those), or bytes this library did not write.
 */
export function decodeFresh(policy: FailurePolicy, operation: CacheOperation, bytes: Buffer | undefined): unknown {
  return bytes === undefined || staleFor(bytes) >= 0 ? undefined : decodeData(policy, operation, bytes);
}

/**
 * Decodes stored bytes; bytes this library did not write read as a miss, reported as
 * `E_CORRUPT_VALUE` — except what the fleet lock leaves at a data key while (or after) a caller
 * loads it: a plain miss.
 */
export function decodeData(policy: FailurePolicy, operation: CacheOperation, bytes: Buffer): unknown {
  if (isLockItem(bytes)) return undefined;
  const value = decodeValue(bytes);
  if (value !== UNDECODABLE) return value;
  policy.report(
    new CacheError('E_CORRUPT_VALUE', 'the stored bytes are not a value this library wrote; read as a miss', {
      operation,
    }),
  );
  return undefined;
}
