/** Pieces both tile kinds share: the frame (a link, or a plain box on a wall display), connectivity, alarms. */
import type { ComponentChildren } from 'preact';
import { alarmsByNode } from '../../alarms-store.js';
import { Link } from '../../components/link.js';
import { NODE_STALE_MS } from '../../format.js';
import { t, type MessageKey } from '../../i18n/index.js';
import { kiosk, nodeKey } from '../../store.js';
import type { NodeSnapshot } from '../../types.js';

export type Connectivity = 'online' | 'offline' | 'stale' | 'unknown';

export function connectivity(node: NodeSnapshot, at: number): Connectivity {
  if (node.online === false) return 'offline';
  if (node.online === null) return 'unknown';
  if (node.lastSeen === null || at - node.lastSeen > NODE_STALE_MS) return 'stale';
  return 'online';
}

const CONNECTIVITY_LABEL: Record<Connectivity, MessageKey> = {
  online: 'online',
  offline: 'offline',
  stale: 'stale',
  unknown: 'unknownStatus',
};

export function ConnectivityBadge({ conn }: { conn: Connectivity }) {
  return (
    <span class={`badge badge-${conn}`} data-testid="node-online" data-connectivity={conn}>
      {t(CONNECTIVITY_LABEL[conn])}
    </span>
  );
}

/** Count of active alarms of the node, coloured by the most severe; nothing when there are none. */
/** Name, id and site (the id only when a display name hides it), and the connectivity badge. */
export function TileHead({ node, name, conn }: { node: NodeSnapshot; name: string; conn: Connectivity }) {
  return (
    <header class="tile-head">
      <div class="tile-title">
        <h3 class="tile-node">{name}</h3>
        <span class="tile-site">{name === node.node ? node.site : `${node.node} · ${node.site}`}</span>
      </div>
      <ConnectivityBadge conn={conn} />
    </header>
  );
}

export function AlarmBadge({ site, node }: { site: string; node: string }) {
  const summary = alarmsByNode.value.get(nodeKey(site, node));
  if (!summary) return null;
  const sev = t(`severity_${summary.worst}`);
  return (
    <span
      class={`alarm-badge sev-${summary.worst}`}
      data-testid="node-alarms"
      data-count={summary.count}
      data-severity={summary.worst}
      title={t('tileAlarmsTitle', { sev })}
    >
      <span aria-hidden="true">▲ </span>
      {t('tileAlarms', { n: summary.count })} · {sev}
    </span>
  );
}

/** The whole tile opens the node's page; a kiosk (wall display, nobody touches it) gets no links. */
export function TileFrame(props: { href: string; label: string; children: ComponentChildren }) {
  if (kiosk.value) return <div class="tile-frame">{props.children}</div>;
  return (
    <Link href={props.href} class="tile-frame tile-link">
      <span class="sr-only">{props.label}</span>
      {props.children}
    </Link>
  );
}
