/**
 * Who may open MQTT over WebSocket (`/mqtt`, served by the hub on the same port): like the
 * live feed, a logged-in session from a same-origin page; unlike it, the Origin header is
 * required (only browsers speak MQTT to this path with a session cookie, and they always
 * send one). The hub gives the connection the MQTT rules of the user's role; a kiosk display
 * reads like a viewer. `isCurrent` lets the hub drop it after logout or an account change.
 * A site-scoped viewer gets no MQTT at all: its rules read every site's topics.
 *
 * The broker asks `isCurrent` synchronously at every message, and the session store answers
 * asynchronously (SQLite or PostgreSQL): a session this process ended (logout) is known at
 * once; otherwise each question starts a look-up (one at a time) and gets the last answer, so
 * an account changed elsewhere (`mieruka user`, another hub) ends the connection a message later.
 */
import type { IncomingMessage } from 'node:http';
import { readSessionId } from './cookies.js';
import { isCrossSite } from './csrf.js';
import type { SessionStore } from './session-store.js';
import { scopeOfSession } from './site-scope.js';

export type MqttUpgradeUser = { username: string; role: 'admin' | 'viewer'; isCurrent: () => boolean };

export async function authorizeMqttUpgrade(sessions: SessionStore, req: IncomingMessage): Promise<MqttUpgradeUser | null> {
  if (req.headers.origin === undefined || isCrossSite(req)) return null;
  const session = await sessions.get(readSessionId(req.headers.cookie));
  if (!session) return null;
  if (scopeOfSession(session) !== null) return null;
  const id = session.id;
  let current = true;
  let asking = false;
  const isCurrent = (): boolean => {
    if (!current || sessions.hasEnded(id)) return false;
    if (!asking) {
      asking = true;
      sessions.get(id).then(
        (s) => ((current = s !== null), (asking = false)),
        () => ((current = false), (asking = false)),
      );
    }
    return current;
  };
  return { username: session.user.username, role: session.kiosk ? 'viewer' : session.user.role, isCurrent };
}
