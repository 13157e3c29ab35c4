import { describe, expect, it } from 'vitest';
import { FrameReader } from '../src/transport/frames.js';

/** A response frame: opaque, and a value of `valueLength` bytes filled with `opaque & 0xff`. */
function frame(opaque: number, valueLength: number): Buffer {
  const bytes = Buffer.alloc(24 + valueLength, opaque & 0xff);
  bytes[0] = 0x81;
  bytes[1] = 0x00;
  bytes.writeUInt16BE(0, 2);
  bytes[4] = 0;
  bytes.writeUInt16BE(0, 6);
  bytes.writeUInt32BE(valueLength, 8);
  bytes.writeUInt32BE(opaque, 12);
  return bytes;
}

function collect() {
  const frames: { opaque: number; body: Buffer }[] = [];
  const garbage: string[] = [];
  const reader = new FrameReader(
    (buffer, offset, end) => {
      // Copied now and checked later: a view must stay valid after the call (the reader keeps none).
      frames.push({ opaque: buffer.readUInt32BE(offset + 12), body: buffer.subarray(offset + 24, end) });
    },
    (what) => garbage.push(what),
  );
  return { reader, frames, garbage };
}

describe('FrameReader', () => {
  const stream = Buffer.concat([frame(1, 0), frame(2, 5), frame(3, 70_000), frame(4, 1), frame(5, 30)]);

  it('gives the same frames however the stream is cut into chunks', () => {
    for (const size of [1, 2, 23, 24, 25, 31, 1000, 65_536, stream.length]) {
      const { reader, frames, garbage } = collect();
      for (let offset = 0; offset < stream.length; offset += size) reader.push(stream.subarray(offset, offset + size));
      expect(garbage).toEqual([]);
      expect(frames.map((each) => each.opaque)).toEqual([1, 2, 3, 4, 5]);
      expect(frames.map((each) => each.body.length)).toEqual([0, 5, 70_000, 1, 30]);
      for (const each of frames) expect(each.body.every((byte) => byte === (each.opaque & 0xff))).toBe(true);
    }
  });

  it('drops a half frame on reset, so the next stream starts clean', () => {
    const { reader, frames } = collect();
    reader.push(frame(7, 100).subarray(0, 60));
    reader.reset();
    reader.push(frame(8, 3));
    expect(frames.map((each) => each.opaque)).toEqual([8]);
  });

  it('reports bytes that cannot start a reply, and reads nothing after them in the chunk', () => {
    const { reader, frames, garbage } = collect();
    const echoed = frame(9, 4);
    echoed[0] = 0x80;
    reader.push(Buffer.concat([frame(1, 2), echoed, frame(2, 2)]));
    expect(frames.map((each) => each.opaque)).toEqual([1]);
    expect(garbage).toEqual(['magic 0x80']);
  });

  it('refuses a body longer than any memcached item instead of waiting for (or allocating) it', () => {
    const { reader, garbage } = collect();
    const huge = frame(1, 0);
    huge.writeUInt32BE(0xffff_fff0, 8);
    reader.push(huge.subarray(0, 10));
    reader.push(huge.subarray(10));
    expect(garbage).toEqual([`body of ${0xffff_fff0} bytes`]);
  });
});
