/**
 * The key that signs acknowledge links: `alerts.ackSecret` from the config, else a random one
 * kept in `<dataDir>/ack-secret` (mode 0600) so links stay valid across restarts. Never logged.
 */
import { randomBytes } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Logger } from 'pino';
import { makeDirs, writeFileAtomic } from '@mieruka/protocol/node';

export const ACK_SECRET_FILE = 'ack-secret';
const HEX_SECRET = /^[0-9a-f]{64}$/;

export async function loadAckSecret(options: { configured?: string | undefined; dataDir: string; logger: Logger }): Promise<Buffer> {
  if (options.configured) return Buffer.from(options.configured, 'utf8');
  const file = join(options.dataDir, ACK_SECRET_FILE);
  try {
    const text = (await readFile(file, 'utf8')).trim();
    if (HEX_SECRET.test(text)) return Buffer.from(text, 'hex');
    options.logger.warn({ file }, 'ack secret file is damaged: a new one is made, older acknowledge links stop working');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
  const secret = randomBytes(32);
  await makeDirs(options.dataDir);
  await writeFileAtomic(file, `${secret.toString('hex')}\n`, { mode: 0o600 });
  options.logger.info({ file }, 'generated the secret for acknowledge links');
  return secret;
}
