/** Where an MQTT connection comes from, the same for every transport (TCP, TLS, WebSocket). */
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';

/** True for addresses of this machine: 127.0.0.0/8, ::1 and their IPv4-mapped forms. */
export function isLoopbackAddress(address: string | undefined): boolean {
  if (typeof address !== 'string') return false;
  const a = address.toLowerCase().replace(/^::ffff:/, '');
  if (a === '::1' || a === '0:0:0:0:0:0:0:1') return true;
  return /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(a);
}

/** The remote address of a WebSocket upgrade request or of a TCP/TLS socket. */
export function remoteAddressOf(req: IncomingMessage | undefined, conn: Duplex): string | undefined {
  return req?.socket.remoteAddress ?? (conn as { remoteAddress?: string }).remoteAddress;
}
