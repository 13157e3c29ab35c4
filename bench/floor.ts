/**
 * The floor: the least a pipelined binary-protocol `get` can cost in plain Node. One socket; the
 * requests of a tick go out in one write; memcached answers in order, so replies are matched to a
 * FIFO of callbacks; the value is JSON-parsed. No deadlines, no recovery, no namespaces: whatever a
 * client costs beyond this is its own overhead.
 */
import { connect, type Socket } from 'node:net';

type Pending = (value: unknown) => void;

/** A bare binary-protocol reader: `get(key)` resolves the JSON-parsed value, or `undefined` on a miss. */
export class Floor {
  private readonly socket: Socket;
  private waiting: (Pending | undefined)[] = [];
  private head = 0;
  private out: Buffer[] = [];
  private scheduled = false;
  private parts: Buffer[] = [];
  private partsLength = 0;
  private needed = 0;

  constructor(host: string, port: number) {
    this.socket = connect(port, host);
    this.socket.setNoDelay(true);
    this.socket.on('data', (chunk: Buffer) => this.read(chunk));
    this.socket.on('error', (error) => console.error(`floor: ${error.message}`));
  }

  get(key: string): Promise<unknown> {
    const request = Buffer.alloc(24 + key.length);
    request[0] = 0x80; // request magic; opcode 0 = get
    request.writeUInt16BE(key.length, 2);
    request.writeUInt32BE(key.length, 8);
    request.write(key, 24, 'latin1');
    this.out.push(request);
    if (!this.scheduled) {
      this.scheduled = true;
      process.nextTick(() => {
        this.scheduled = false;
        this.socket.write(this.out.length === 1 ? (this.out[0] as Buffer) : Buffer.concat(this.out));
        this.out = [];
      });
    }
    return new Promise((resolve) => this.waiting.push(resolve));
  }

  private read(chunk: Buffer): void {
    // A frame split across chunks is joined once, when it is complete (a concat per chunk would copy
    // a 1 MB value ~16 times).
    let data = chunk;
    if (this.parts.length > 0) {
      this.parts.push(chunk);
      this.partsLength += chunk.length;
      if (this.partsLength < this.needed) return;
      data = Buffer.concat(this.parts, this.partsLength);
      this.parts = [];
    }
    while (data.length >= 24) {
      const end = 24 + data.readUInt32BE(8);
      if (data.length < end) break;
      const status = data.readUInt16BE(6);
      const start = 24 + (data[4] as number) + data.readUInt16BE(2);
      const resolve = this.waiting[this.head] as Pending;
      // Drop answered callbacks as we go: under steady load the queue never drains, and a kept
      // callback keeps its promise and the value it resolved alive.
      this.waiting[this.head++] = undefined;
      if (this.head === this.waiting.length || this.head > 1024) {
        this.waiting = this.waiting.slice(this.head);
        this.head = 0;
      }
      resolve(status === 0 ? JSON.parse(data.toString('utf8', start, end)) : undefined);
      data = data.subarray(end);
    }
    if (data.length > 0) {
      this.parts = [data];
      this.partsLength = data.length;
      this.needed = data.length >= 24 ? 24 + data.readUInt32BE(8) : 24;
    }
  }

  close(): void {
    this.socket.end();
  }
}
