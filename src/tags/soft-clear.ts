import { CacheError } from '../errors.js';
import { toExpiry } from '../expiry.js';
import type { NamespaceState } from '../namespaces.js';
import { Opcode, Status, statusName } from '../protocol.js';
import type { Level, Tokens } from '../tokens.js';
import type { Transport } from '../transport.js';
import { withAttempts } from './attempts.js';

/**
 * Soft clears of namespaces (DESIGN §12). The token key keeps exactly what 0.2.0 wrote there (16 hex
 * digits), so a 0.2.0 process sharing the memcached sees a soft clear as a plain (hard) one. What
 * lets a newer reader find the previous generation lives beside it, at `<prefix>:s:<h64(path)>`:
 * `1:<previous token>:<token>:<clearedAt>:<until>`, kept by memcached until the window closes. It
 * counts only while the namespace's token is still the `<token>` it names: any later clear, hard or
 * soft, ends the window at once.
 * @internal
 */
export interface SoftWindow {
  readonly previous: string;
  readonly token: string;
  readonly clearedAt: number;
  readonly until: number;
}

/**
 * The last hex digits of every token a soft clear writes. A level whose token lacks them has no
 * window (a window counts only while it names the current token), so a miss reads no window
 * record for it: no round trip where nothing was soft-cleared. Other tokens (random) carry them
 * one time in 4096: only a wasted read.
 */
const SOFT_MARK = 'a5f';

/** @internal A new token for a soft clear: random, with {@link SOFT_MARK}. 52 random bits are plenty per namespace. */
function softToken(tokens: Tokens, tokenKey: string): string {
  return tokens.newToken(tokenKey).slice(0, 16 - SOFT_MARK.length) + SOFT_MARK;
}

/** @internal Whether a level with this token may have an open soft window. */
function mayHaveWindow(token: string): boolean {
  return token.endsWith(SOFT_MARK);
}

const WINDOW_PATTERN = /^1:([0-9a-f]{16}):([0-9a-f]{16}):(\d+):(\d+)$/;
const TOKEN_PATTERN = /^[0-9a-f]{16}$/;
const MAX_ATTEMPTS = 3;

/** @internal The key of a level's soft window: its token key with `:s:` for `:t:`. */
function windowKey(tokenKey: string): string {
  return `${tokenKey.slice(0, -19)}:s:${tokenKey.slice(-16)}`;
}

function decodeWindow(bytes: Buffer): SoftWindow | undefined {
  const match = WINDOW_PATTERN.exec(bytes.toString('latin1'));
  if (match === null) return undefined;
  return {
    previous: match[1] as string,
    token: match[2] as string,
    clearedAt: Number(match[3]),
    until: Number(match[4]),
  };
}

/**
 * Clears a namespace softly: reads its token (with its CAS), writes the window naming the old and
 * the new token, then replaces the token by CAS — a concurrent clear makes it start again, so the
 * window never names a token older than the one it replaced. Calls back with an error unless both
 * writes were acknowledged (the window alone changes nothing: it counts only for the new token).
 */
export function softClear(
  transport: Transport,
  tokens: Tokens,
  level: Level,
  staleForMs: number,
  deadline: number,
  done: (error: CacheError | undefined) => void,
): void {
  const exhausted = (): CacheError =>
    new CacheError('E_TOKEN', 'the namespace token kept changing during a soft clear');
  withAttempts(MAX_ATTEMPTS, exhausted, done, (again) => {
    transport.get(level.tokenKey, deadline, (error, status, value, cas) => {
      if (error !== undefined) return done(error);
      const previous = status === Status.Ok ? value.toString('latin1') : '';
      // No token (or a foreign value): nothing was readable, so nothing to keep: a plain rotation.
      if (!TOKEN_PATTERN.test(previous)) return tokens.rotate(level, deadline, done);
      const token = softToken(tokens, level.tokenKey);
      const clearedAt = Date.now();
      const until = clearedAt + staleForMs;
      const window = Buffer.from(`1:${previous}:${token}:${clearedAt}:${until}`, 'latin1');
      // Kept a second longer than the window (memcached's clock ticks in whole seconds).
      const expiry = toExpiry(Math.ceil(staleForMs / 1000) + 1);
      transport.store(Opcode.Set, windowKey(level.tokenKey), window, expiry, deadline, (windowError, windowStatus) => {
        if (windowError !== undefined) return done(windowError);
        if (windowStatus !== Status.Ok)
          return done(new CacheError('E_SERVER', `memcached refused a soft clear: ${statusName(windowStatus)}`));
        tokens.replace(level, token, cas, deadline, (tokenError, replaced) => {
          if (tokenError !== undefined) done(tokenError);
          else if (replaced) done(undefined);
          else again();
        });
      });
    });
  });
}

/**
 * The data-key head of the generation before an open soft clear of any level of `state`, given the
 * levels' current `tokens` (read by this call), or `undefined` when no level has an open window.
 * One round trip — the windows of the levels soft-cleared last are read in one write — or none
 * when no level's token comes from a soft clear.
 */
export function previousGeneration(
  transport: Transport,
  state: NamespaceState,
  tokens: readonly string[],
  deadline: number,
  done: (previous: { readonly head: string; readonly clearedAt: number } | undefined) => void,
): void {
  const levels = state.levels;
  let remaining = 0;
  for (const token of tokens) if (mayHaveWindow(token)) remaining += 1;
  if (remaining === 0) {
    done(undefined);
    return;
  }
  const previous = [...tokens];
  let opened = false;
  let clearedAt = 0;
  const time = Date.now();
  levels.forEach((level, index) => {
    if (!mayHaveWindow(tokens[index] as string)) return;
    transport.get(windowKey(level.tokenKey), deadline, (error, status, value) => {
      const window = error === undefined && status === Status.Ok ? decodeWindow(value) : undefined;
      if (window !== undefined && window.token === tokens[index] && time < window.until) {
        previous[index] = window.previous;
        opened = true;
        clearedAt = Math.max(clearedAt, window.clearedAt);
      }
      remaining -= 1;
      if (remaining === 0) done(opened ? { head: state.dataKeyHead(previous), clearedAt } : undefined);
    });
  });
}
