import { describe, expect, it } from 'vitest';
import { decodeValue, encodeValue, UNDECODABLE } from '../src/codec.js';

const roundTrip = (value: unknown): unknown => decodeValue(encodeValue(value));

describe('codec', () => {
  it.each([
    ['a string', 'héllo wörld 🎸'],
    ['an empty string', ''],
    ['an integer', 42],
    ['a float', -3.25],
    ['zero', 0],
    ['true', true],
    ['false', false],
    ['null', null],
    ['an object', { price: 5000, tags: ['a', 'b'], nested: { ok: true, none: null } }],
    ['an array', [1, 'two', { three: 3 }]],
    ['an empty object', {}],
  ])('round-trips %s with its type', (_, value) => {
    expect(roundTrip(value)).toStrictEqual(value);
  });

  it('round-trips numbers JSON cannot carry', () => {
    expect(roundTrip(Number.NaN)).toBeNaN();
    expect(roundTrip(Number.POSITIVE_INFINITY)).toBe(Number.POSITIVE_INFINITY);
    expect(Object.is(roundTrip(-0), -0)).toBe(true);
  });

  it('round-trips strings with lone surrogates exactly', () => {
    const value = `a\uD800b\uDFFFc`;
    expect(roundTrip(value)).toBe(value);
  });

  it('gives back a Buffer for a Buffer and a Uint8Array for a Uint8Array, as copies', () => {
    const buffer = Buffer.from([0, 1, 2, 255]);
    const fromBuffer = roundTrip(buffer);
    expect(Buffer.isBuffer(fromBuffer)).toBe(true);
    expect(fromBuffer).toEqual(buffer);

    const bytes = new Uint8Array([9, 8, 7]);
    const fromBytes = roundTrip(bytes);
    expect(Buffer.isBuffer(fromBytes)).toBe(false);
    expect(fromBytes).toBeInstanceOf(Uint8Array);
    expect(Array.from(fromBytes as Uint8Array)).toEqual([9, 8, 7]);

    const stored = encodeValue(buffer);
    const decoded = decodeValue(stored) as Buffer;
    stored.fill(0);
    expect(decoded).toEqual(buffer);
  });

  it('refuses values that would not come back as they went in', () => {
    const cyclic: Record<string, unknown> = {};
    cyclic.self = cyclic;
    for (const value of [undefined, () => 1, Symbol('s'), 10n, new Map(), new Set(), new Date(), cyclic, { big: 1n }]) {
      expect(() => encodeValue(value)).toThrow(TypeError);
    }
    expect(() => encodeValue(undefined)).toThrow('got undefined');
    expect(() => encodeValue(new Map())).toThrow('got an instance of Map');
    expect(() => encodeValue({ toJSON: () => undefined })).toThrow(TypeError);
  });

  it('reads foreign or corrupt bytes as undecodable, never as garbage', () => {
    for (const foreign of ['hello', '', '{"a":1}', '\u00f5\u0001']) {
      expect(decodeValue(Buffer.from(foreign))).toBe(UNDECODABLE);
    }
    const json = encodeValue({ a: 1 });
    expect(decodeValue(json.subarray(0, json.length - 1))).toBe(UNDECODABLE);
    const number = encodeValue(1);
    expect(decodeValue(number.subarray(0, 7))).toBe(UNDECODABLE);
    const future = Buffer.from(encodeValue('x'));
    future[1] = 2; // a later format version
    expect(decodeValue(future)).toBe(UNDECODABLE);
    const unknownType = Buffer.from(encodeValue('x'));
    unknownType[2] = 200;
    expect(decodeValue(unknownType)).toBe(UNDECODABLE);
  });
});
