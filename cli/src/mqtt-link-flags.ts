/**
 * The broker flags every edge agent command shares (bridge, station, patlite-relay): --mqtt,
 * --mqtt-failover, --mqtt-password-file, --mqtt-ca, --mqtt-cert and --mqtt-key, as overrides of the `bridge`
 * config section. What they
 * become (the password read, the CA loaded) is edge's mqttLinkConnection, the one place.
 */
import type { Command } from 'commander';

export type MqttLinkFlags = { mqtt?: string; mqttFailover?: string; mqttPasswordFile?: string; mqttCa?: string; mqttCert?: string; mqttKey?: string };

export function addMqttLinkFlags(command: Command, urlHelp = 'broker URL, e.g. mqtts://factory%2Fmill-1@hub:8883 (default: bridge.mqttUrl, else mqtt://127.0.0.1:1883)'): Command {
  return command
    .option('--mqtt <url>', urlHelp)
    .option('--mqtt-failover <urls>', 'other hubs of the cluster, comma-separated, tried in turn when the one in use is unreachable (default: bridge.mqttFailoverUrls)')
    .option('--mqtt-password-file <file>', 'MQTT password: the first line of this file, for the user name in the URL (default: bridge.mqttPasswordFile)')
    .option('--mqtt-ca <file>', 'PEM CA certificate that signed the broker\'s certificate, for mqtts:// (default: bridge.mqttCaFile)')
    .option('--mqtt-cert <file>', 'PEM client certificate, for a broker that requires one (mutual TLS; default: bridge.mqttCertFile)')
    .option('--mqtt-key <file>', 'PEM private key of --mqtt-cert (default: bridge.mqttKeyFile)');
}

/** The `bridge` overrides from the flags given (absent flags leave the file and env alone). */
export function mqttLinkOverrides(opts: MqttLinkFlags): { mqttUrl?: string; mqttFailoverUrls?: string[]; mqttPasswordFile?: string; mqttCaFile?: string; mqttCertFile?: string; mqttKeyFile?: string } {
  return {
    ...(opts.mqtt === undefined ? {} : { mqttUrl: opts.mqtt }),
    ...(opts.mqttFailover === undefined ? {} : { mqttFailoverUrls: opts.mqttFailover.split(',').map((u) => u.trim()).filter((u) => u !== '') }),
    ...(opts.mqttPasswordFile === undefined ? {} : { mqttPasswordFile: opts.mqttPasswordFile }),
    ...(opts.mqttCa === undefined ? {} : { mqttCaFile: opts.mqttCa }),
    ...(opts.mqttCert === undefined ? {} : { mqttCertFile: opts.mqttCert }),
    ...(opts.mqttKey === undefined ? {} : { mqttKeyFile: opts.mqttKey }),
  };
}
