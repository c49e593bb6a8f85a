/** The agents' broker flags become `bridge` overrides; --mqtt-failover takes a comma-separated list. */
import { Command } from 'commander';
import { describe, expect, it } from 'vitest';
import { addMqttLinkFlags, mqttLinkOverrides, type MqttLinkFlags } from './mqtt-link-flags.js';

function parse(args: string[]): MqttLinkFlags {
  const command = addMqttLinkFlags(new Command('bridge').exitOverride());
  command.parse(args, { from: 'user' });
  return command.opts<MqttLinkFlags>();
}

describe('mqttLinkOverrides', () => {
  it('turns --mqtt-failover into the list of other hubs, and leaves the config alone without it', () => {
    expect(mqttLinkOverrides(parse(['--mqtt', 'mqtts://hub-a:8883', '--mqtt-failover', 'mqtts://hub-b:8883, mqtts://hub-c:8883,']))).toEqual({
      mqttUrl: 'mqtts://hub-a:8883',
      mqttFailoverUrls: ['mqtts://hub-b:8883', 'mqtts://hub-c:8883'],
    });
    expect(mqttLinkOverrides(parse([]))).toEqual({});
  });
});
