/**
 * The text codec and its connection fed reply bytes directly (a socket stand-in that records what is
 * written): shared get lines whose replies arrive in every split, refused, or cut by a reset.
 */
import { describe, expect, it } from 'vitest';
import type { CacheError } from '../src/errors.js';
import { Opcode, Status } from '../src/protocol.js';
import { now } from '../src/transport/clock.js';
import type { ConnectionOwner } from '../src/transport/pipeline.js';
import { Request } from '../src/transport/request.js';
import { SocketConnection } from '../src/transport/socket-connection.js';
import { textCodec } from '../src/transport/text.js';

type Outcome = { error?: string; status: number; value: string };

interface Harness {
  conn: SocketConnection;
  socket: { write(b: Buffer): boolean; destroy(): void };
  written: string[];
  retried: Request[];
  outcomes: Map<number, Outcome[]>;
  send(
    op: 'get' | 'set' | 'gets' | 'delete',
    key: string,
    value?: string,
    opts?: { deadline?: number; retry?: boolean },
  ): number;
  flush(): void;
  feed(chunk: Buffer): void;
  inflight(): number;
}

function harness(): Harness {
  const retried: Request[] = [];
  const owner: ConnectionOwner = {
    markDirty() {},
    noteAnswered() {},
    retry(request) {
      retried.push(request);
      request.handOver();
    },
  };
  const conn = new SocketConnection({ host: 'x', port: 1, tls: undefined, speech: textCodec, timeoutMs: 1000 }, owner);
  const written: string[] = [];
  const socket = {
    write(b: Buffer) {
      written.push(b.toString('latin1'));
      return true;
    },
    destroy() {},
  };
  const c = conn as unknown as Record<string, unknown>;
  c.socket = socket;
  c.phase = 'ready';
  c.codec = textCodec;
  c.answering = true;
  const outcomes = new Map<number, Outcome[]>();
  let seq = 0;
  return {
    conn,
    socket,
    written,
    retried,
    outcomes,
    send(op, key, value, opts = {}) {
      seq += 1;
      const id = seq;
      outcomes.set(id, []);
      const cb = (error: CacheError | undefined, status: number, v: Buffer) => {
        (outcomes.get(id) as Outcome[]).push({ error: error?.code, status, value: v.toString('latin1') });
      };
      const opcode = op === 'get' || op === 'gets' ? Opcode.Get : op === 'set' ? Opcode.Set : Opcode.Delete;
      const request = new Request(
        id,
        opcode,
        key,
        value === undefined ? undefined : Buffer.from(value),
        0,
        opts.deadline ?? now() + 60_000,
        cb,
        opts.retry ?? opcode === Opcode.Get,
        0n,
        op === 'gets',
      );
      conn.enqueue(request);
      return id;
    },
    flush() {
      conn.flush(now());
    },
    feed(chunk) {
      (c.read as (s: unknown, b: Buffer) => void).call(conn, socket, chunk);
    },
    inflight() {
      const inflight = c.inflight as unknown[];
      return inflight.length - (c.head as number);
    },
  };
}

const V = (key: string, value: string) => `VALUE ${key} 0 ${Buffer.byteLength(value, 'latin1')}\r\n${value}\r\n`;

describe('text: shared get lines whose replies arrive split at every byte', () => {
  it('two-way splits at every position of a mixed reply', () => {
    const big = 'B'.repeat(70_000);
    const make = () => {
      const h = harness();
      const ids = [
        h.send('get', 'a'),
        h.send('get', 'b'),
        h.send('get', 'c'),
        h.send('get', 'a'),
        h.send('set', 's', 'x'),
        h.send('get', 'd'),
        h.send('get', 'e'),
        h.send('gets', 'f'),
        h.send('get', 'g'),
      ];
      h.flush();
      return { h, ids };
    };
    const { h: h0 } = make();
    expect(h0.written.join('')).toBe('get a b c a\r\nset s 0 0 1\r\nx\r\nget d e\r\ngets f\r\nget g\r\n');
    // a twice (proxy order: c before a), b missing; d big, e miss; f miss; g hit
    const reply = Buffer.from(
      V('c', 'vc') +
        V('a', 'va1') +
        V('a', 'va2') +
        'END\r\n' +
        'STORED\r\n' +
        V('d', big) +
        'END\r\n' +
        'END\r\n' +
        V('g', 'vg') +
        'END\r\n',
      'latin1',
    );
    const expected = [
      { status: Status.Ok, value: 'va1' },
      { status: Status.NotFound, value: '' },
      { status: Status.Ok, value: 'vc' },
      { status: Status.Ok, value: 'va2' },
      { status: Status.Ok, value: '' },
      { status: Status.Ok, value: big },
      { status: Status.NotFound, value: '' },
      { status: Status.NotFound, value: '' },
      { status: Status.Ok, value: 'vg' },
    ];
    const positions: number[] = [];
    for (let p = 0; p <= 400; p += 1) positions.push(p);
    for (let p = reply.length - 400; p <= reply.length; p += 1) positions.push(p);
    for (let p = 400; p < reply.length - 400; p += 997) positions.push(p);
    for (const p of positions) {
      const { h, ids } = make();
      // copy, so that a kept view of the first chunk cannot be confused with the second
      h.feed(Buffer.from(reply.subarray(0, p)));
      h.feed(Buffer.from(reply.subarray(p)));
      const got = ids.map((id) => h.outcomes.get(id) as Outcome[]);
      for (let i = 0; i < ids.length; i += 1) {
        expect(got[i]?.length, `split ${p} request ${i}`).toBe(1);
        expect(got[i]?.[0]?.error, `split ${p} request ${i}`).toBeUndefined();
        expect(got[i]?.[0]?.status, `split ${p} request ${i}`).toBe(expected[i]?.status);
        if (expected[i]?.status === Status.Ok && i !== 4)
          expect(got[i]?.[0]?.value === expected[i]?.value, `split ${p} request ${i}`).toBe(true);
      }
      expect(h.inflight()).toBe(0);
    }
  });

  it('three-way splits of a small multi-get reply', () => {
    const script = Buffer.from(
      `${V('k2', 'two') + V('k1', 'one')}END\r\nDELETED\r\n${V('k4', 'four')}END\r\n`,
      'latin1',
    );
    for (let p = 0; p <= script.length; p += 1) {
      for (let q = p; q <= script.length; q += 1) {
        const h = harness();
        const ids = [
          h.send('get', 'k1'),
          h.send('get', 'k2'),
          h.send('get', 'k3'),
          h.send('delete', 'z'),
          h.send('get', 'k4'),
          h.send('get', 'k5'),
        ];
        h.flush();
        expect(h.written.join('')).toBe('get k1 k2 k3\r\ndelete z\r\nget k4 k5\r\n');
        h.feed(Buffer.from(script.subarray(0, p)));
        h.feed(Buffer.from(script.subarray(p, q)));
        h.feed(Buffer.from(script.subarray(q)));
        const got = ids.map((id) => h.outcomes.get(id) as Outcome[]);
        expect(
          got.map((o) => o.length),
          `${p},${q}`,
        ).toEqual([1, 1, 1, 1, 1, 1]);
        expect(
          got.map((o) => [o[0]?.status, o[0]?.value]),
          `${p},${q}`,
        ).toEqual([
          [0, 'one'],
          [0, 'two'],
          [1, ''],
          [0, ''],
          [0, 'four'],
          [1, ''],
        ]);
        expect(h.inflight()).toBe(0);
      }
    }
  });
});

describe('text: shared get lines, more replies', () => {
  it('byte at a time, with a value over 64 KB', () => {
    const big = 'Z'.repeat(66_000);
    const reply = Buffer.from(`${V('b', big) + V('a', 'x')}END\r\nEND\r\n`, 'latin1');
    const h = harness();
    const ids = [
      h.send('get', 'a'),
      h.send('get', 'b'),
      h.send('get', 'c'),
      h.send('get', 'q', undefined, { retry: false }),
    ];
    h.flush();
    expect(h.written.join('')).toBe('get a b c\r\nget q\r\n');
    for (let i = 0; i < reply.length; i += 1) h.feed(Buffer.from(reply.subarray(i, i + 1)));
    const got = ids.map((id) => h.outcomes.get(id) as Outcome[]);
    expect(got.map((o) => [o.length, o[0]?.status, o[0]?.value.length])).toEqual([
      [1, 0, 1],
      [1, 0, 66_000],
      [1, 1, 0],
      [1, 1, 0],
    ]);
    expect(h.inflight()).toBe(0);
  });

  it('a refused line split anywhere: each get sent alone once, a late one answered with the status', () => {
    const reply = Buffer.from('SERVER_ERROR Connection refused\r\nSTORED\r\n', 'latin1');
    for (let p = 0; p <= reply.length; p += 1) {
      const h = harness();
      const ids = [
        h.send('get', 'a'),
        h.send('get', 'b', undefined, { deadline: now() - 1 }),
        h.send('get', 'c'),
        h.send('set', 's', 'v'),
      ];
      h.flush();
      h.feed(Buffer.from(reply.subarray(0, p)));
      h.feed(Buffer.from(reply.subarray(p)));
      expect(
        h.retried.map((r) => r.key),
        `${p}`,
      ).toEqual(['a', 'c']);
      const got = ids.map((id) => h.outcomes.get(id) as Outcome[]);
      expect(got.map((o) => o.length)).toEqual([0, 1, 0, 1]);
      expect(got[1]?.[0]?.status).toBe(0x86);
      expect(h.inflight()).toBe(0);
    }
  });

  it('a value for a key of the next line is a protocol error, not a value', () => {
    const h = harness();
    const ids = [
      h.send('get', 'a'),
      h.send('get', 'b'),
      h.send('set', 's', 'v'),
      h.send('get', 'c'),
      h.send('get', 'd'),
    ];
    h.flush();
    h.feed(Buffer.from(`${V('c', 'C')}END\r\n`));
    const got = ids.map((id) => h.outcomes.get(id) as Outcome[]);
    expect(got[0]?.[0]?.error).toBe('E_PROTOCOL');
    for (const o of got) for (const r of o) expect(r.status === 0 && r.value === 'C').toBe(false);
  });
});

describe('text: a connection reset inside a shared line', () => {
  it('a connection lost inside a multi-get reply retries every read of it once, fails the write', async () => {
    const { CacheError } = await import('../src/errors.js');
    const reply = Buffer.from(`${V('a', 'A') + V('b', 'B'.repeat(5000))}END\r\nSTORED\r\n`, 'latin1');
    for (const p of [0, 5, 14, 20, 30, 5000, reply.length - 9, reply.length - 8, reply.length - 3]) {
      const h = harness();
      const ids = [h.send('get', 'a'), h.send('get', 'b'), h.send('get', 'c'), h.send('set', 's', 'v')];
      h.flush();
      h.feed(Buffer.from(reply.subarray(0, p)));
      const c = h.conn as unknown as { lost(s: unknown, e: unknown, f: boolean): void };
      c.lost(h.socket, new CacheError('E_CONNECTION', 'gone'), false);
      const got = ids.map((id) => h.outcomes.get(id) as Outcome[]);
      if (p >= reply.length - 8) {
        expect(
          got.map((o) => o.length),
          `${p}`,
        ).toEqual([1, 1, 1, 1]);
        expect(got[3]?.[0]?.error, `${p}`).toBe('E_CONNECTION');
      } else {
        expect(
          h.retried.map((r) => r.key),
          `${p}`,
        ).toEqual(['a', 'b', 'c']);
        expect(
          got.map((o) => o.length),
          `${p}`,
        ).toEqual([0, 0, 0, 1]);
        expect(got[3]?.[0]?.error).toBe('E_CONNECTION');
      }
      expect(h.inflight()).toBe(0);
    }
  });
});
