import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import { connect, createServer, type Server, type Socket } from 'node:net';
import { createServer as createTlsServer } from 'node:tls';
import { afterEach } from 'vitest';
import { protocol, tlsFiles } from './protocol.js';

const HOST = '127.0.0.1';
const HEADER_LENGTH = 24;

/**
 * The length of the reply at the start of `bytes`, once that much is known: a binary frame (24-byte
 * header and its body), or a text/meta reply line, with the value a `VA <n>` or `VALUE … <n>` line
 * announces (and text's `END` line after it).
 */
function replyLength(bytes: Buffer): number | undefined {
  if (bytes.length === 0) return undefined;
  if (bytes[0] === 0x81) return bytes.length < HEADER_LENGTH ? undefined : HEADER_LENGTH + bytes.readUInt32BE(8);
  const lineEnd = bytes.indexOf('\r\n');
  if (lineEnd < 0) return undefined;
  const words = bytes.toString('latin1', 0, lineEnd).split(' ');
  if (words[0] === 'VA') return lineEnd + 2 + Number(words[1]) + 2;
  if (words[0] === 'VALUE') return lineEnd + 2 + Number(words[3]) + 2 + 'END\r\n'.length;
  return lineEnd + 2;
}

/** What happens to the replies of the next connection(s), frame by frame. */
type ReplyFault =
  | { readonly kind: 'none' }
  /** Swallow the next reply: memcached answered, the client never hears of it. */
  | { readonly kind: 'drop' }
  /** Deliver the first half of the next reply, then nothing more on that connection. */
  | { readonly kind: 'half-then-stall' }
  /** Deliver the first half of the next reply, then close the connection (FIN). */
  | { readonly kind: 'half-then-close' };

interface Pair {
  readonly client: Socket;
  readonly upstream: Socket;
  stalled: boolean;
  pending: Buffer;
  /** Keeps delayed replies in order. */
  chain: Promise<void>;
}

/**
 * A TCP proxy in front of a memcached, for the faults signals cannot make: connection resets,
 * slow replies, a dropped reply, half a reply frame, a close in the middle of a reply. It splits
 * the replies of every protocol (binary frames, meta and text lines and values) so faults hit whole
 * replies.
 */
export class FaultProxy {
  private readonly pairs = new Set<Pair>();
  private fault: ReplyFault = { kind: 'none' };
  private delayMs = 0;

  private constructor(
    private readonly server: Server,
    readonly port: number,
  ) {}

  /** `host:port` of the proxy, for the cache. */
  get servers(): string {
    return `${HOST}:${this.port}`;
  }

  /** Starts a proxy to `target` (`host:port`) on a free port. */
  static async start(target: {
    readonly host: string;
    readonly port: number;
    readonly plainServers?: string;
  }): Promise<FaultProxy> {
    // Under the tls protocol the proxy is the TLS end (the test certificate) and speaks plain TCP to
    // memcached's plain listener: faults still hit whole replies, inside TLS records.
    const tlsEnd = protocol === 'tls' && tlsFiles !== undefined && target.plainServers !== undefined;
    const server = tlsEnd
      ? createTlsServer({ cert: readFileSync(tlsFiles?.cert as string), key: readFileSync(tlsFiles?.key as string) })
      : createServer();
    const upstream = tlsEnd
      ? { host: target.host, port: Number((target.plainServers as string).split(':')[1]) }
      : { host: target.host, port: target.port };
    server.listen(0, HOST);
    await once(server, 'listening');
    const address = server.address();
    if (address === null || typeof address === 'string') throw new Error('proxy has no port');
    const proxy = new FaultProxy(server, address.port);
    server.on(tlsEnd ? 'secureConnection' : 'connection', (client: Socket) => proxy.accept(client, upstream));
    running.add(proxy);
    return proxy;
  }

  /** Delays every reply by `ms` (0: none). */
  delayReplies(ms: number): void {
    this.delayMs = ms;
  }

  /** Applies a fault to the next reply frame that comes through. */
  injectReplyFault(fault: ReplyFault['kind']): void {
    this.fault = { kind: fault } as ReplyFault;
  }

  /** Resets (RST) every open connection. */
  resetConnections(): void {
    for (const pair of this.pairs) {
      // A TLS socket's handle cannot send a reset: it is closed without TLS's close_notify instead.
      if (protocol === 'tls') pair.client.destroy();
      else pair.client.resetAndDestroy();
      pair.upstream.destroy();
    }
  }

  /** How many client connections are open. */
  get connections(): number {
    return this.pairs.size;
  }

  async stop(): Promise<void> {
    running.delete(this);
    for (const pair of this.pairs) {
      pair.client.destroy();
      pair.upstream.destroy();
    }
    this.server.close();
    await once(this.server, 'close');
  }

  private accept(client: Socket, target: { readonly host: string; readonly port: number }): void {
    const upstream = connect(target.port, target.host);
    const pair: Pair = { client, upstream, stalled: false, pending: Buffer.alloc(0), chain: Promise.resolve() };
    this.pairs.add(pair);
    const drop = (): void => {
      this.pairs.delete(pair);
      client.destroy();
      upstream.destroy();
    };
    client.on('error', drop).on('close', drop);
    upstream.on('error', drop).on('close', drop);
    client.on('data', (chunk) => upstream.write(chunk));
    upstream.on('data', (chunk) => this.reply(pair, chunk));
  }

  private reply(pair: Pair, chunk: Buffer): void {
    pair.pending = Buffer.concat([pair.pending, chunk]);
    for (;;) {
      const frameLength = replyLength(pair.pending);
      if (frameLength === undefined || pair.pending.length < frameLength) return;
      const frame = pair.pending.subarray(0, frameLength);
      pair.pending = pair.pending.subarray(frameLength);
      this.forward(pair, frame);
    }
  }

  private forward(pair: Pair, frame: Buffer): void {
    if (pair.stalled) return;
    const fault = this.fault;
    this.fault = { kind: 'none' };
    if (fault.kind === 'drop') return;
    if (fault.kind === 'half-then-stall' || fault.kind === 'half-then-close') {
      pair.stalled = true;
      pair.client.write(frame.subarray(0, Math.ceil(frame.length / 2)));
      if (fault.kind === 'half-then-close') pair.client.end();
      return;
    }
    if (this.delayMs === 0) {
      pair.client.write(frame);
      return;
    }
    // Each reply is due `delayMs` after it arrived; the chain only keeps them in order.
    const due = performance.now() + this.delayMs;
    pair.chain = pair.chain.then(
      () =>
        new Promise<void>((resolve) =>
          setTimeout(
            () => {
              if (!pair.client.destroyed) pair.client.write(frame);
              resolve();
            },
            Math.max(0, due - performance.now()),
          ),
        ),
    );
  }
}

const running = new Set<FaultProxy>();
afterEach(async () => {
  await Promise.all([...running].map((proxy) => proxy.stop()));
});
