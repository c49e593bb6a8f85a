export { MqttNodeLink, redactUrl, type MqttNodeLinkOptions, type MqttNodeLinkStartOptions, type MqttNodeLinkStats, type CommandHandler } from './mqtt-node-link.js';
export { SeqCounter, SEQ_BLOCK_SIZE } from './seq-counter.js';
export { mqttLinkConnection, type MqttLinkConfig, type MqttLinkConnection } from './mqtt-link-config.js';
export { splitMqttUrl, type MqttUrlParts } from './mqtt-url.js';
