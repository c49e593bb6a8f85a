/**
 * helmet with a CSP for the built web app: everything from our own origin, the ws feed on
 * the same host, images also from data:/blob: (thumbnails, charts). HTTPS-only headers
 * (HSTS, upgrade-insecure-requests) only when the dashboard is served over TLS — on a plain
 * http factory LAN they would break every asset request.
 */
import type { IncomingMessage } from 'node:http';
import type { RequestHandler } from 'express';
import helmet from 'helmet';

/** Host header as the browser sent it, only if it looks like a host[:port]. */
const HOST = /^(?:[A-Za-z0-9.-]+|\[[0-9A-Fa-f:.]+\])(?::\d{1,5})?$/;

function sameHostWs(req: IncomingMessage): string {
  const host = req.headers.host;
  // 'self' already covers ws(s) of the same host in current browsers; this spells it out for older ones.
  return host && HOST.test(host) ? `ws://${host} wss://${host}` : "'self'";
}

export function securityHeaders(secure: boolean): RequestHandler {
  return helmet({
    contentSecurityPolicy: {
      useDefaults: false,
      directives: {
        defaultSrc: ["'self'"],
        baseUri: ["'self'"],
        scriptSrc: ["'self'"],
        styleSrc: ["'self'"],
        imgSrc: ["'self'", 'data:', 'blob:'],
        fontSrc: ["'self'", 'data:'],
        connectSrc: ["'self'", (req) => sameHostWs(req)],
        objectSrc: ["'none'"],
        frameAncestors: ["'none'"],
        formAction: ["'self'"],
        upgradeInsecureRequests: secure ? [] : null,
      },
    },
    strictTransportSecurity: secure ? { maxAge: 180 * 24 * 3600 } : false,
    referrerPolicy: { policy: 'same-origin' },
  });
}
