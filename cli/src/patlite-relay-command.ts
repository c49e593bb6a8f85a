/**
 * `mieruka patlite-relay`: the edge agent for a signal tower wired to Raspberry Pi GPIO through
 * a relay board. It listens for the hub's `cmd/patlite` and drives one relay per tier (and the
 * buzzer); every lit pattern has a hold time, and stopping switches everything off.
 */
import { resolve } from 'node:path';
import { InvalidArgumentError, type Command } from 'commander';
import type { RelayPins } from '@mieruka/edge';
import { MIERUKA_VERSION, MierukaError, redactUrl } from '@mieruka/protocol';
import type { CliContext } from './context.js';
import { loadConfig } from './load-config.js';
import { createLogger } from './logger.js';
import { addMqttLinkFlags, mqttLinkOverrides, type MqttLinkFlags } from './mqtt-link-flags.js';
import { prune } from './options.js';

const PIN_NAMES = ['red', 'amber', 'green', 'blue', 'white', 'buzzer'] as const;

/** `red=17,amber=27,green=22,buzzer=23` (BCM line numbers). */
export function parsePins(value: string): RelayPins {
  const pins: Record<string, number> = {};
  for (const part of value.split(',')) {
    const m = /^\s*([a-z]+)\s*=\s*(\d{1,2})\s*$/.exec(part);
    if (!m || !(PIN_NAMES as readonly string[]).includes(m[1] as string)) {
      throw new InvalidArgumentError(`"${part}": use tier=BCM-line with tiers ${PIN_NAMES.join(', ')}, e.g. red=17,amber=27,green=22`);
    }
    const line = Number(m[2]);
    if (line > 27) throw new InvalidArgumentError(`"${part}": BCM lines go from 0 to 27`);
    if (Object.values(pins).includes(line)) throw new InvalidArgumentError(`"${part}": line ${line} is used twice`);
    pins[m[1] as string] = line;
  }
  if (pins.red === undefined || pins.amber === undefined || pins.green === undefined) {
    throw new InvalidArgumentError('red, amber and green are required');
  }
  return pins as RelayPins;
}

function gpioBase(value: string): number | 'auto' {
  if (value === 'auto') return 'auto';
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0) throw new InvalidArgumentError('use auto or the sysfs number of BCM line 0 (e.g. 512 on a Pi with kernel 6.6)');
  return n;
}

export function registerPatliteRelayCommand(program: Command, ctx: CliContext): void {
  const command = program
    .command('patlite-relay')
    .description('drive a signal tower through GPIO relays on this Pi, as commanded by the hub (cmd/patlite)')
    .requiredOption('--pins <tiers>', 'BCM lines per tier, e.g. red=17,amber=27,green=22,buzzer=23', parsePins)
    .option('--node <node>', 'this agent\'s node id (the hub config names it in alerts.towers[].node)')
    .option('--site <site>', 'site id (default: config site)');
  addMqttLinkFlags(command)
    .option('--active-low', 'the relay board switches on a low input (most opto-isolated boards)')
    .option('--gpio-base <n>', 'sysfs number of BCM line 0: auto, or e.g. 512 (Pi kernel 6.6)', gpioBase, 'auto' as const)
    .option('-c, --config <file>', 'config file (site, bridge.mqttUrl)')
    .option('--data-dir <dir>', 'where the sequence counter and the store-and-forward queue are kept', './data')
    .option('--log-level <level>', 'log level')
    .action(
      async (opts: MqttLinkFlags & { pins: RelayPins; node?: string; site?: string; activeLow?: boolean; gpioBase: number | 'auto'; config?: string; dataDir: string; logLevel?: string }) => {
        const { config } = loadConfig({
          file: opts.config,
          env: ctx.env,
          cwd: ctx.cwd,
          overrides: prune({ site: opts.site, log: { level: opts.logLevel }, bridge: { node: opts.node, ...mqttLinkOverrides(opts) } }),
        });
        const node = config.bridge.node;
        if (!node) throw new MierukaError('CONFIG_INVALID', 'which node is this? give --node <id> (the relay tower\'s node in the hub config)');
        // Loaded on use: the other commands (the hub above all) never need the edge package.
        const { GpioRelayTower, MqttNodeLink, mqttLinkConnection, OnoffGpioPort, PatliteRelayAgent } = await import('@mieruka/edge');
        const connection = await mqttLinkConnection(config.bridge, ctx.cwd);
        const logger = createLogger(config.log.level);
        const tower = new GpioRelayTower({
          gpio: new OnoffGpioPort({ base: opts.gpioBase }),
          pins: opts.pins,
          activeLow: opts.activeLow === true,
          logger: logger.child({ component: 'relay-tower' }),
        });
        const link = new MqttNodeLink({
          ...connection,
          site: config.site,
          node,
          agent: 'patlite-relay',
          version: MIERUKA_VERSION,
          dataDir: resolve(ctx.cwd, opts.dataDir),
          logger: logger.child({ component: 'mqtt' }),
        });
        const agent = new PatliteRelayAgent({ link, tower, logger: logger.child({ component: 'patlite-relay' }) });
        const service = {
          async stop() {
            await agent.stop();
            await link.stop();
          },
        };
        await link.start({ connectTimeoutMs: 5000, whenUnreachable: 'continue' });
        await agent.start();
        ctx.keepRunning(service, 'patlite-relay');
        ctx.print(`Mieruka PATLITE relay agent ${config.site}/${node} → ${redactUrl(config.bridge.mqttUrl)}${tower.disabled ? ' (GPIO not available here: tower disabled, reported in status)' : ''}`);
      },
    );
}
