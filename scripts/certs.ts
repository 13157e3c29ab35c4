/**
 * Test certificates made with `openssl` at setup: a CA, server certificates (valid, expired, for
 * another host, from an unknown CA) and a client certificate for mutual TLS. Not part of the package.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** Paths of the files made by {@link makeCertificates}, and the CA's PEM. */
export interface Certificates {
  readonly dir: string;
  readonly caFile: string;
  /** The CA's certificate (PEM), for `tls: { ca }`. */
  readonly ca: string;
  /** For 127.0.0.1 and localhost, signed by the CA. */
  readonly server: { readonly cert: string; readonly key: string };
  readonly expired: { readonly cert: string; readonly key: string };
  readonly wrongHost: { readonly cert: string; readonly key: string };
  /** Signed by a CA the clients do not know. */
  readonly unknownCa: { readonly cert: string; readonly key: string };
  /** A client certificate signed by the CA (PEM contents, for `tls: { cert, key }`). */
  readonly client: { readonly cert: string; readonly key: string };
}

function openssl(dir: string, args: string[]): void {
  execFileSync('openssl', args, { cwd: dir, stdio: 'ignore' });
}

function makeCa(dir: string, name: string): void {
  openssl(
    dir,
    ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'].concat([
      '-keyout',
      `${name}.key`,
      '-out',
      `${name}.pem`,
      '-subj',
      `/CN=${name}`,
      '-days',
      '2',
    ]),
  );
}

function makeCert(
  dir: string,
  name: string,
  ca: string,
  altNames: string,
  days: number,
): { cert: string; key: string } {
  openssl(
    dir,
    ['req', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'].concat([
      '-keyout',
      `${name}.key`,
      '-out',
      `${name}.csr`,
      '-subj',
      `/CN=${name}`,
    ]),
  );
  writeFileSync(join(dir, `${name}.ext`), `subjectAltName=${altNames}\n`);
  openssl(
    dir,
    ['x509', '-req', '-in', `${name}.csr`, '-CA', `${ca}.pem`, '-CAkey', `${ca}.key`, '-CAcreateserial'].concat([
      '-out',
      `${name}.pem`,
      '-days',
      String(days),
      '-extfile',
      `${name}.ext`,
    ]),
  );
  return { cert: join(dir, `${name}.pem`), key: join(dir, `${name}.key`) };
}

/** Makes a fresh set of certificates in a temporary directory. */
export function makeCertificates(): Certificates {
  const dir = mkdtempSync(join(tmpdir(), 'memjs-namespaces-tls-'));
  makeCa(dir, 'ca');
  makeCa(dir, 'otherca');
  const local = 'IP:127.0.0.1,DNS:localhost';
  const client = makeCert(dir, 'client', 'ca', 'DNS:client', 2);
  return {
    dir,
    caFile: join(dir, 'ca.pem'),
    ca: readFileSync(join(dir, 'ca.pem'), 'latin1'),
    server: makeCert(dir, 'server', 'ca', local, 2),
    // Valid until a day before it was issued: expired the moment it exists.
    expired: makeCert(dir, 'expired', 'ca', local, -1),
    wrongHost: makeCert(dir, 'elsewhere', 'ca', 'DNS:elsewhere.invalid', 2),
    unknownCa: makeCert(dir, 'stranger', 'otherca', local, 2),
    client: { cert: readFileSync(client.cert, 'latin1'), key: readFileSync(client.key, 'latin1') },
  };
}
