/**
 * Certificates for TLS tests, made at test time with the `openssl` CLI (as an installer
 * would): a self-signed CA, a server certificate for 127.0.0.1 / localhost signed by it, a
 * client certificate (mutual TLS) and a second, unrelated CA (the "wrong CA").
 */
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { runCommand } from './run-command.js';

export type TestCerts = {
  dir: string;
  caCert: string;
  caKey: string;
  serverCert: string;
  serverKey: string;
  clientCert: string;
  clientKey: string;
  /** A CA that signed none of the above. */
  otherCaCert: string;
};

async function openssl(args: string[]): Promise<void> {
  const r = await runCommand('openssl', args);
  if (r.code !== 0) throw new Error(`openssl ${args[0]} failed: ${r.stderr}`);
}

const EC_KEY = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];

async function selfSignedCa(dir: string, name: string): Promise<{ cert: string; key: string }> {
  const cert = join(dir, `${name}.crt`);
  const key = join(dir, `${name}.key`);
  await openssl(['req', '-x509', ...EC_KEY, '-keyout', key, '-out', cert, '-days', '3', '-subj', `/CN=${name}`]);
  return { cert, key };
}

async function signed(dir: string, name: string, ca: { cert: string; key: string }, extensions: string): Promise<{ cert: string; key: string }> {
  const key = join(dir, `${name}.key`);
  const csr = join(dir, `${name}.csr`);
  const cert = join(dir, `${name}.crt`);
  const ext = join(dir, `${name}.ext`);
  await writeFile(ext, extensions);
  await openssl(['req', ...EC_KEY, '-keyout', key, '-out', csr, '-subj', `/CN=${name}`]);
  await openssl(['x509', '-req', '-in', csr, '-CA', ca.cert, '-CAkey', ca.key, '-CAcreateserial', '-out', cert, '-days', '2', '-extfile', ext]);
  return { cert, key };
}

/** Writes the set into `dir` (a temp dir the test removes). */
export async function makeTestCerts(dir: string): Promise<TestCerts> {
  const ca = await selfSignedCa(dir, 'mieruka-test-ca');
  const other = await selfSignedCa(dir, 'other-ca');
  const server = await signed(dir, 'server', ca, 'subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth\n');
  const client = await signed(dir, 'client', ca, 'extendedKeyUsage=clientAuth\n');
  return {
    dir,
    caCert: ca.cert,
    caKey: ca.key,
    serverCert: server.cert,
    serverKey: server.key,
    clientCert: client.cert,
    clientKey: client.key,
    otherCaCert: other.cert,
  };
}
