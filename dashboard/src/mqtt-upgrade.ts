/**
 * Who may open MQTT over WebSocket (`/mqtt`, served by the hub on the same port): like the
 * live feed, a logged-in session from a same-origin page; unlike it, the Origin header is
 * required (only browsers speak MQTT to this path with a session cookie, and they always
 * send one). The hub gives the connection the MQTT rules of the user's role; a kiosk display
 * reads like a viewer. `isCurrent` lets the hub drop it after logout or an account change.
 * A site-scoped viewer gets no MQTT at all: its rules read every site's topics.
 */
import type { IncomingMessage } from 'node:http';
import { readSessionId } from './cookies.js';
import { isCrossSite } from './csrf.js';
import type { SessionStore } from './session-store.js';
import { scopeOfSession } from './site-scope.js';

export type MqttUpgradeUser = { username: string; role: 'admin' | 'viewer'; isCurrent: () => boolean };

export function authorizeMqttUpgrade(sessions: SessionStore, req: IncomingMessage): MqttUpgradeUser | null {
  if (req.headers.origin === undefined || isCrossSite(req)) return null;
  const session = sessions.get(readSessionId(req.headers.cookie));
  if (!session) return null;
  if (scopeOfSession(session) !== null) return null;
  const id = session.id;
  return { username: session.user.username, role: session.kiosk ? 'viewer' : session.user.role, isCurrent: () => sessions.get(id) !== null };
}
