/**
 * Home Assistant MQTT discovery configs for one node, as pure data (docs/home-assistant.md).
 * Each sensor reads an existing Mieruka topic with a plain `{{ value_json.<field> }}` template;
 * only utilization today, which no agent sends, comes from the hub's own retained topic.
 * Schema: https://www.home-assistant.io/integrations/mqtt/#mqtt-discovery and
 * https://www.home-assistant.io/integrations/sensor.mqtt/
 */
import { MACHINE_STATES, MIERUKA_VERSION, hubTopic, topicFor } from '@mieruka/protocol';

export type DiscoveryNode = {
  site: string;
  node: string;
  role: 'machine' | 'bench';
  /** Name from the config (machines/stations.<id>.name); the id when absent. */
  name: string | null;
  /** CT channel the machine's state is decided on (machines.<id>.channel). */
  channel: number;
  /** Version the node's agent last reported (status), if any. */
  version: string | null;
};

export type SensorConfig = Record<string, unknown> & { unique_id: string; state_topic: string };

export type DiscoveryConfig = { topic: string; config: SensorConfig };

/** HA's node_id level: every config of this hub sits under `<prefix>/sensor/mieruka/` (the ACL keeps it the hub's). */
const NODE_ID = 'mieruka';

/** Object ids and unique ids join site, node and sensor with `_`, which ids never contain. */
export function objectId(site: string, node: string, sensor: string): string {
  return `${site}_${node}_${sensor}`;
}

export function discoveryTopic(prefix: string, site: string, node: string, sensor: string): string {
  return `${prefix}/sensor/${NODE_ID}/${objectId(site, node, sensor)}/config`;
}

/** The device the nodes hang under in HA's device page (via_device). */
export function hubDeviceId(site: string): string {
  return `mieruka_hub_${site}`;
}

/** The `online` field of the retained status (also the LWT) decides availability. */
function availability(site: string, node: string): Record<string, string> {
  return {
    availability_topic: topicFor(site, node, 'status'),
    availability_template: "{{ 'online' if value_json.online else 'offline' }}",
    payload_available: 'online',
    payload_not_available: 'offline',
  };
}

function device(n: DiscoveryNode): Record<string, unknown> {
  return {
    identifiers: [`mieruka_${n.site}_${n.node}`],
    name: n.name ?? n.node,
    manufacturer: 'Mieruka',
    model: n.role === 'machine' ? 'Machine running monitor' : 'Work-bench clutter station',
    sw_version: n.version ?? MIERUKA_VERSION,
    via_device: hubDeviceId(n.site),
  };
}

/** Every discovery config of a node: state, current and utilization today for a machine; the score for a bench. */
export function discoveryConfigs(prefix: string, n: DiscoveryNode): DiscoveryConfig[] {
  const { site, node } = n;
  const common = (sensor: string) => ({
    unique_id: `mieruka_${objectId(site, node, sensor)}`,
    device: device(n),
    origin: { name: 'Mieruka', sw_version: MIERUKA_VERSION },
    qos: 1,
  });
  const entry = (sensor: string, config: Record<string, unknown> & { state_topic: string }): DiscoveryConfig => ({
    topic: discoveryTopic(prefix, site, node, sensor),
    config: { ...common(sensor), ...config },
  });
  if (n.role === 'bench') {
    const clutter = topicFor(site, node, 'clutter');
    return [
      entry('clutter', {
        name: 'Clutter score',
        state_topic: clutter,
        value_template: '{{ value_json.score }}',
        json_attributes_topic: clutter,
        unit_of_measurement: '%',
        state_class: 'measurement',
        icon: 'mdi:table-furniture',
        ...availability(site, node),
      }),
    ];
  }
  const state = topicFor(site, node, 'state');
  const utilization = hubTopic(site, node, 'utilization');
  return [
    entry('state', {
      name: 'State',
      state_topic: state,
      value_template: '{{ value_json.state }}',
      json_attributes_topic: state,
      device_class: 'enum',
      options: [...MACHINE_STATES],
      ...availability(site, node),
    }),
    entry('current', {
      name: 'Current',
      state_topic: topicFor(site, node, 'current'),
      value_template: `{{ value_json.irms[${n.channel}] }}`,
      device_class: 'current',
      state_class: 'measurement',
      unit_of_measurement: 'A',
      suggested_display_precision: 2,
      ...availability(site, node),
    }),
    // The hub computes it from stored history, so it stays available while the agent is down.
    entry('utilization', {
      name: 'Utilization today',
      state_topic: utilization,
      value_template: '{{ value_json.utilizationPct }}',
      json_attributes_topic: utilization,
      unit_of_measurement: '%',
      state_class: 'measurement',
      icon: 'mdi:chart-donut',
    }),
  ];
}
