import { Status } from '../protocol.js';

/** Out of memory, as the binary protocol says it. */
const OUT_OF_MEMORY = 0x82;
/** Any other server failure. */
const TEMPORARY_FAILURE = 0x86;

/**
 * The status of a text protocol's `SERVER_ERROR <message>`: the binary status that says the same,
 * so that the operations read every protocol's refusals alike (a too-large value is E_VALUE_TOO_LARGE).
 */
export function serverErrorStatus(message: string): number {
  if (message.startsWith('object too large')) return Status.TooLarge;
  if (message.startsWith('out of memory')) return OUT_OF_MEMORY;
  return TEMPORARY_FAILURE;
}
