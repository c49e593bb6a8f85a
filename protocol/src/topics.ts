/**
 * MQTT topic contract v1: `mieruka/v1/<site>/<node>/<kind>` and
 * `mieruka/v1/<site>/<node>/cmd/<action>`. The only place topics are built or parsed.
 */
export const TOPIC_ROOT = 'mieruka/v1';

/** Site and node ids: lower-case letters, digits and dashes (they become topic levels and file names). */
export const ID_PATTERN = /^[a-z0-9](?:[a-z0-9-]{0,62}[a-z0-9])?$/;

export const KINDS = ['status', 'current', 'state', 'event', 'clutter', 'image', 'motion'] as const;
export type Kind = (typeof KINDS)[number];

export const COMMAND_ACTIONS = ['light', 'capture', 'say', 'patlite', 'info', 'cal'] as const;
export type CommandAction = (typeof COMMAND_ACTIONS)[number];

export type ParsedTopic =
  | { site: string; node: string; kind: Kind }
  | { site: string; node: string; kind: 'cmd'; action: string };

export function isValidId(id: string): boolean {
  return ID_PATTERN.test(id);
}

function assertId(what: string, id: string): void {
  if (!isValidId(id)) throw new TypeError(`invalid ${what} id "${id}": use a-z, 0-9 and "-" (max 64)`);
}

export function topicFor(site: string, node: string, kind: Kind): string {
  assertId('site', site);
  assertId('node', node);
  return `${TOPIC_ROOT}/${site}/${node}/${kind}`;
}

export function commandTopic(site: string, node: string, action: string): string {
  assertId('site', site);
  assertId('node', node);
  if (!/^[a-z][a-z0-9_-]{0,31}$/.test(action)) throw new TypeError(`invalid command action "${action}"`);
  return `${TOPIC_ROOT}/${site}/${node}/cmd/${action}`;
}

/**
 * Topics the hub publishes about a node (retained); no agent or client may send them (see the
 * built-in ACL). Not ingested.
 */
export const HUB_KINDS = ['utilization'] as const;
export type HubKind = (typeof HUB_KINDS)[number];

export function hubTopic(site: string, node: string, kind: HubKind): string {
  assertId('site', site);
  assertId('node', node);
  return `${TOPIC_ROOT}/${site}/${node}/${kind}`;
}

/** Subscription filters. `+` matches exactly one level (MQTT 3.1.1 §4.7.1.3). */
export const topicFilters = {
  everything: `${TOPIC_ROOT}/#`,
  site: (site: string) => `${TOPIC_ROOT}/${site}/#`,
  kind: (kind: Kind, site = '+') => `${TOPIC_ROOT}/${site}/+/${kind}`,
  commandsFor: (site: string, node: string) => `${TOPIC_ROOT}/${site}/${node}/cmd/+`,
} as const;

/** Parses a v1 topic; returns null for anything that is not exactly a v1 topic. */
export function parseTopic(topic: string): ParsedTopic | null {
  const parts = topic.split('/');
  if (parts.length < 5 || `${parts[0]}/${parts[1]}` !== TOPIC_ROOT) return null;
  const [, , site, node, kind, action, ...rest] = parts;
  if (site === undefined || node === undefined || kind === undefined) return null;
  if (!isValidId(site) || !isValidId(node)) return null;
  if (kind === 'cmd') {
    if (action === undefined || rest.length > 0 || !/^[a-z][a-z0-9_-]{0,31}$/.test(action)) return null;
    return { site, node, kind: 'cmd', action };
  }
  if (action !== undefined) return null;
  if (!(KINDS as readonly string[]).includes(kind)) return null;
  return { site, node, kind: kind as Kind };
}
