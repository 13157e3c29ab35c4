/** @internal
 * The bytes of a reply from `start` on, as memory the caller may keep and change.
 *
 * A reply is a view into a socket chunk (one memory block per read, never reused) or into the
 * buffer the frame reader allocated for one frame split across chunks (transport/frames.ts). A view
 * that spans at least half of its memory block is handed over as is: a 1 MB Buffer value costs no
 * copy, and at most one view of a block can span half of it, while the other replies in that block
 * were decoded into strings and objects or copied. A smaller view is copied, so that a 100-byte
 * value does not keep a 64 KB chunk alive (and pooled memory is never shared: Node pools only
 * allocations under half its 8 KB pool).
 */
export function ownedBytes(bytes: Buffer, start: number): Buffer {
  const view = bytes.subarray(start);
  return view.length * 2 >= view.buffer.byteLength ? view : Buffer.from(view);
}
