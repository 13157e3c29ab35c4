/** What the protocol probe found. */
export interface ProbeResult {
  /** The server answered with its version: it is memcached (else, e.g. `ERROR Too many open connections`). */
  readonly version: boolean;
  /** The server speaks meta (memcached 1.6.10 or later). */
  readonly meta: boolean;
  /** The version line, or what came instead. */
  readonly what: string;
}

/**
 * `version` padded to more than a binary header (24 bytes): a text-capable memcached answers
 * `VERSION x.y.z`; one that speaks only binary (`-B binary`) reads a bad magic byte and closes the
 * connection, instead of waiting for the rest of a header that never comes.
 */
const REQUEST = Buffer.from(`version${' '.repeat(20)}\r\n`);

/** Meta is stable from 1.6.10; every flag the meta codec sends is there. */
function speaksMeta(version: string): boolean {
  const match = /^(\d+)\.(\d+)\.(\d+)/.exec(version);
  if (match === null) return false;
  const [major, minor, patch] = [Number(match[1]), Number(match[2]), Number(match[3])];
  return major > 1 || (major === 1 && (minor > 6 || (minor === 6 && patch >= 10)));
}

/** The probe sent once per new connection of the default (and meta) protocol. */
export const probe = {
  request: REQUEST,
  /** The probe's answer, or `undefined` while its line is incomplete. */
  read(buffer: Buffer): ProbeResult | undefined {
    const end = buffer.indexOf('\r\n');
    if (end < 0)
      return buffer.length > 256 ? { version: false, meta: false, what: 'a reply without a line end' } : undefined;
    const line = buffer.toString('latin1', 0, end);
    if (end + 2 !== buffer.length)
      return { version: false, meta: false, what: `more than a version: ${JSON.stringify(line)}` };
    return line.startsWith('VERSION ')
      ? { version: true, meta: speaksMeta(line.slice(8)), what: line }
      : { version: false, meta: false, what: JSON.stringify(line.slice(0, 60)) };
  },
};
