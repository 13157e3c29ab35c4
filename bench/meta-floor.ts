/**
 * The meta floor: the least a pipelined meta-protocol `get` can cost in plain Node, beside the
 * binary floor (floor.ts). One socket; a tick's `mg <key> v` requests go out in one write; replies
 * (`VA <n>` + value, or `EN`) are matched in order; the value is JSON-parsed. No opaque, no
 * deadlines, no recovery, no namespaces.
 */
import { connect, type Socket } from 'node:net';
import { type ConnectionOptions, connect as connectTls } from 'node:tls';

type Pending = (value: unknown) => void;

/** A bare meta-protocol reader: `get(key)` resolves the JSON-parsed value, or `undefined` on a miss. */
export class MetaFloor {
  private readonly socket: Socket;
  private waiting: (Pending | undefined)[] = [];
  private head = 0;
  private out = '';
  private scheduled = false;
  private rest: Buffer | undefined;

  constructor(host: string, port: number, tls?: ConnectionOptions) {
    this.socket = tls === undefined ? connect(port, host) : connectTls({ host, port, ...tls });
    this.socket.setNoDelay(true);
    this.socket.on('data', (chunk: Buffer) => this.read(chunk));
    this.socket.on('error', (error) => console.error(`meta floor: ${error.message}`));
  }

  get(key: string): Promise<unknown> {
    this.out += `mg ${key} v\r\n`;
    if (!this.scheduled) {
      this.scheduled = true;
      process.nextTick(() => {
        this.scheduled = false;
        this.socket.write(this.out, 'latin1');
        this.out = '';
      });
    }
    return new Promise((resolve) => this.waiting.push(resolve));
  }

  private read(chunk: Buffer): void {
    const data = this.rest === undefined ? chunk : Buffer.concat([this.rest, chunk]);
    this.rest = undefined;
    let offset = 0;
    while (offset < data.length) {
      const lineEnd = data.indexOf(13, offset);
      if (lineEnd < 0 || lineEnd + 1 >= data.length) break;
      let value: unknown;
      let next = lineEnd + 2;
      if (data[offset] === 0x56 /* VA */) {
        const length = Number(data.toString('latin1', offset + 3, lineEnd).split(' ')[0]);
        if (next + length + 2 > data.length) break;
        value = JSON.parse(data.toString('utf8', next, next + length));
        next += length + 2;
      }
      const resolve = this.waiting[this.head] as Pending;
      this.waiting[this.head++] = undefined;
      if (this.head === this.waiting.length || this.head > 1024) {
        this.waiting = this.waiting.slice(this.head);
        this.head = 0;
      }
      resolve(value);
      offset = next;
    }
    if (offset < data.length) this.rest = data.subarray(offset);
  }

  close(): void {
    this.socket.end();
  }
}
