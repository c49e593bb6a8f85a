/**
 * The PEM files of hub.mqtt.tls, read and checked at hub start: a missing or unreadable file,
 * or one OpenSSL cannot use, stops the start with CONFIG_INVALID naming the config key and the
 * path. Messages never carry a file's content (the key is a secret).
 */
import { X509Certificate, createPrivateKey } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { createSecureContext, type SecureContextOptions } from 'node:tls';
import { MierukaError } from '@mieruka/protocol';

export type MqttTlsConfig = { port: number; cert: string; key: string; ca?: string | undefined; host?: string | undefined };

/** What the TLS server needs: the PEM texts, and whether clients must show a certificate. */
export type MqttTlsFiles = { cert: Buffer; key: Buffer; ca?: Buffer; mutual: boolean };

const CERT_BLOCK = /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g;

function invalid(key: string, path: string, problem: string): MierukaError {
  return new MierukaError('CONFIG_INVALID', `hub.mqtt.tls.${key} (${path}): ${problem}`, { details: [{ path: `hub.mqtt.tls.${key}`, message: problem }] });
}

async function read(key: string, path: string): Promise<Buffer> {
  try {
    return await readFile(path);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw invalid(key, path, code === 'ENOENT' ? 'no such file' : `cannot be read (${code ?? (err as Error).message})`);
  }
}

/** Every certificate in a PEM text must parse; an empty text or one without any is refused. */
function checkCertificates(key: string, path: string, pem: Buffer): void {
  const blocks = pem.toString('latin1').match(CERT_BLOCK) ?? [];
  if (blocks.length === 0) throw invalid(key, path, 'holds no PEM certificate (-----BEGIN CERTIFICATE-----)');
  for (const block of blocks) {
    try {
      new X509Certificate(block);
    } catch (err) {
      throw invalid(key, path, `not a valid PEM certificate (${(err as NodeJS.ErrnoException).code ?? 'parse error'})`);
    }
  }
}

/** Reads and checks the files; relative paths are relative to `cwd` (default: the process's). */
export async function loadMqttTlsFiles(config: MqttTlsConfig, cwd = process.cwd()): Promise<MqttTlsFiles> {
  const paths = { cert: resolve(cwd, config.cert), key: resolve(cwd, config.key), ca: config.ca === undefined ? undefined : resolve(cwd, config.ca) };
  const cert = await read('cert', paths.cert);
  const key = await read('key', paths.key);
  const ca = paths.ca === undefined ? undefined : await read('ca', paths.ca);

  checkCertificates('cert', paths.cert, cert);
  try {
    createPrivateKey(key);
  } catch (err) {
    // OpenSSL's message names the decoder, never the key's bytes; keep only its code.
    throw invalid('key', paths.key, `not a usable PEM private key (${(err as NodeJS.ErrnoException).code ?? 'parse error'}; an encrypted key is not supported)`);
  }
  if (ca !== undefined && paths.ca !== undefined) checkCertificates('ca', paths.ca, ca);
  const options: SecureContextOptions = { cert, key, ...(ca ? { ca } : {}) };
  try {
    createSecureContext(options);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code ?? 'error';
    const problem = /mismatch/i.test((err as Error).message) ? `does not belong to the certificate ${paths.cert}` : `rejected by OpenSSL (${code})`;
    throw invalid('key', paths.key, problem);
  }
  return { cert, key, ...(ca ? { ca } : {}), mutual: ca !== undefined };
}
