import { resolve } from 'node:path';
import { InvalidArgumentError, type Command } from 'commander';
import { findSerialPort, SerialLineReader } from '@mieruka/firmware-bridge';
import { CurrentAgent, MqttNodeLink } from '@mieruka/edge';
import { MachineConfig, MIERUKA_VERSION, MierukaError, redactConfig, type SerialMessage } from '@mieruka/protocol';
import type { CliContext } from './context.js';
import { loadConfig } from './load-config.js';
import { createLogger } from './logger.js';
import { nonNegativeNumber, prune } from './options.js';

type Calibration = { channel: number; ampsPerVolt: number };

function collectCal(value: string, previous: Calibration[]): Calibration[] {
  const m = /^(\d{1,2})[:=,](\d+(?:\.\d+)?)$/.exec(value);
  if (!m) throw new InvalidArgumentError('use <channel>:<amps-per-volt>, e.g. 0:30');
  return [...previous, { channel: Number(m[1]), ampsPerVolt: Number(m[2]) }];
}

export function registerBridgeCommand(program: Command, ctx: CliContext): void {
  program
    .command('bridge')
    .description('read one ESP32 current sensor over USB serial and publish current, state and events over MQTT')
    .option('-c, --config <file>', 'config file (bridge and machines sections)')
    .option('--port <tty>', 'serial device (default: config bridge.serialPort, else the first ESP32 in /dev/serial/by-id)')
    .option('--mqtt <url>', 'broker URL (default mqtt://127.0.0.1:1883)')
    .option('--site <site>', 'site id (default: config site)')
    .option('--node <node>', 'machine id, e.g. mill-1 (default: config bridge.node)')
    .option('--off-below <amps>', 'off below this current', nonNegativeNumber)
    .option('--running-above <amps>', 'running above this current', nonNegativeNumber)
    .option('--min-dwell <seconds>', 'a new state must hold this long', nonNegativeNumber)
    .option('--cal <channel:ampsPerVolt>', 'send a calibration factor after each hello (repeatable)', collectCal, [] as Calibration[])
    .option('--data-dir <dir>', 'where the sequence counter is kept', './data')
    .option('--print', 'also print every reading on the terminal (installation check)')
    .option('--log-level <level>', 'log level')
    .action(
      async (opts: {
        config?: string;
        port?: string;
        mqtt?: string;
        site?: string;
        node?: string;
        offBelow?: number;
        runningAbove?: number;
        minDwell?: number;
        cal: Calibration[];
        dataDir: string;
        print?: boolean;
        logLevel?: string;
      }) => {
        const { config } = loadConfig({
          file: opts.config,
          env: ctx.env,
          cwd: ctx.cwd,
          overrides: prune({ site: opts.site, log: { level: opts.logLevel }, bridge: { serialPort: opts.port, mqttUrl: opts.mqtt, node: opts.node } }),
        });
        const node = config.bridge.node;
        if (!node) throw new MierukaError('CONFIG_INVALID', 'which machine is this? give --node <id> (or bridge.node in the config file)');
        const machineResult = MachineConfig.safeParse(
          prune({ ...(config.machines[node] ?? {}), offBelowA: opts.offBelow, runningAboveA: opts.runningAbove, minDwellS: opts.minDwell }),
        );
        if (!machineResult.success) {
          throw new MierukaError('CONFIG_INVALID', `machine thresholds: ${machineResult.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`);
        }
        const logger = createLogger(config.log.level);
        logger.info({ config: redactConfig(config), machine: machineResult.data }, 'starting bridge');

        const explicitPort = config.bridge.serialPort;
        const source = new SerialLineReader({
          path: explicitPort ?? (() => findSerialPort()),
          baudRate: config.bridge.baudRate,
          logger: logger.child({ component: 'serial' }),
          reconnect: { maxMs: config.bridge.reconnectMaxMs },
        });
        const link = new MqttNodeLink({
          url: config.bridge.mqttUrl,
          site: config.site,
          node,
          agent: 'bridge',
          version: MIERUKA_VERSION,
          dataDir: resolve(ctx.cwd, opts.dataDir),
          logger: logger.child({ component: 'mqtt' }),
        });
        const calibration = [
          ...config.bridge.calibration,
          ...opts.cal.map((c) => ({ channel: c.channel, ampsPerVolt: c.ampsPerVolt })),
        ];
        const agent = new CurrentAgent({ link, source, machine: machineResult.data, logger: logger.child({ component: 'current-agent' }), calibration });
        if (opts.print) {
          source.on('message', (m: SerialMessage) => {
            if (m.type === 'rms') ctx.print(`${new Date().toISOString()}  seq ${m.seq}  ${m.irms.map((a, i) => `ch${i} ${a.toFixed(3)} A`).join('  ')}`);
            else ctx.print(`${new Date().toISOString()}  ${JSON.stringify(m)}`);
          });
          source.on('skip', (s: { reason: string; detail: string }) => ctx.print(`${new Date().toISOString()}  skipped (${s.reason}): ${s.detail}`));
        }
        const service = {
          async start() {
            await link.start();
            await agent.start();
          },
          async stop() {
            await agent.stop();
            await link.stop();
          },
        };
        await service.start();
        ctx.keepRunning(service, 'bridge');
        ctx.print(`Mieruka bridge: ${explicitPort ?? 'auto-detected serial port'} → ${config.bridge.mqttUrl} as ${config.site}/${node}`);
      },
    );
}
