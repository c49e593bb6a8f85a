import { resolve } from 'node:path';
import { InvalidArgumentError, type Command } from 'commander';
import type { SerialLineReader } from '@mieruka/firmware-bridge';
import { MachineConfig, MIERUKA_VERSION, MierukaError, redactConfig, redactUrl, type Config, type SerialMessage } from '@mieruka/protocol';
import type { CliContext } from './context.js';
import { loadConfig } from './load-config.js';
import { createLogger } from './logger.js';
import { addMqttLinkFlags, mqttLinkOverrides, type MqttLinkFlags } from './mqtt-link-flags.js';
import { nonNegativeNumber, prune } from './options.js';

type Calibration = { channel: number; ampsPerVolt: number };
/** Pairs read so far, and a channel still waiting for its factor. */
export type CalArgs = { pairs: Calibration[]; channel: number | null };

const CAL_USAGE = 'use --cal <channel> <amps-per-volt> (e.g. --cal 0 30) or --cal 0:30';

/**
 * `--cal 0 30` (the documented form), also `--cal 0:30`; repeatable. Commander hands the
 * variadic values over one at a time: a channel waits for the factor that follows it.
 */
export function collectCal(value: string, previous: CalArgs): CalArgs {
  const pair = /^(\d{1,2})[:=,](\d+(?:\.\d+)?)$/.exec(value);
  const number = /^\d+(?:\.\d+)?$/.test(value) ? Number(value) : null;
  if (previous.channel === null) {
    if (pair) return { pairs: [...previous.pairs, calibration(Number(pair[1]), Number(pair[2]))], channel: null };
    if (number !== null && Number.isInteger(number)) return { pairs: previous.pairs, channel: calibration(number, 1).channel };
    throw new InvalidArgumentError(CAL_USAGE);
  }
  if (number === null) throw new InvalidArgumentError(`${CAL_USAGE}: channel ${previous.channel} needs a factor`);
  return { pairs: [...previous.pairs, calibration(previous.channel, number)], channel: null };
}

function calibration(channel: number, ampsPerVolt: number): Calibration {
  if (channel > 15) throw new InvalidArgumentError(`${CAL_USAGE}: channel must be 0–15`);
  if (!(ampsPerVolt > 0)) throw new InvalidArgumentError(`${CAL_USAGE}: amps per volt must be > 0`);
  return { channel, ampsPerVolt };
}

type BridgeOptions = MqttLinkFlags & {
  config?: string;
  port?: string;
  site?: string;
  node?: string;
  offBelow?: number;
  runningAbove?: number;
  minDwell?: number;
  hysteresis?: number;
  offlineAfter?: number;
  cal: CalArgs;
  dataDir: string;
  print?: boolean;
  logLevel?: string;
};

export function registerBridgeCommand(program: Command, ctx: CliContext): void {
  const command = program
    .command('bridge')
    .description('read one ESP32 current sensor over USB serial and publish current, state and events over MQTT')
    .option('-c, --config <file>', 'config file (bridge and machines sections)')
    .option('--port <tty>', 'serial device (default: config bridge.serialPort, else the first ESP32 in /dev/serial/by-id)');
  addMqttLinkFlags(command)
    .option('--site <site>', 'site id (default: config site)')
    .option('--node <node>', 'machine id, e.g. mill-1 (default: config bridge.node)')
    .option('--off-below <amps>', 'off below this current', nonNegativeNumber)
    .option('--running-above <amps>', 'running above this current', nonNegativeNumber)
    .option('--min-dwell <seconds>', 'a new state must hold this long', nonNegativeNumber)
    .option('--hysteresis <amps>', 'dead band around each threshold', nonNegativeNumber)
    .option('--offline-after <seconds>', 'no reading this long → state unknown and a sensor_offline event', nonNegativeNumber)
    .option('--cal <ch> <factor...>', 'send this calibration (channel, amps per volt) after each hello; repeatable; also <ch>:<factor>', collectCal, { pairs: [], channel: null } as CalArgs)
    .option('--data-dir <dir>', 'where the sequence counter and the store-and-forward queue are kept', './data')
    .option('--print', 'also print every reading on the terminal (installation check)')
    .option('--log-level <level>', 'log level')
    .action((opts: BridgeOptions) => runBridge(opts, ctx));
}

/** The machine's thresholds: its config section with the command line's overrides. */
function bridgeMachine(config: Config, node: string, opts: BridgeOptions): MachineConfig {
  const machineResult = MachineConfig.safeParse(
    prune({
      ...(config.machines[node] ?? {}),
      offBelowA: opts.offBelow,
      runningAboveA: opts.runningAbove,
      minDwellS: opts.minDwell,
      hysteresisA: opts.hysteresis,
      offlineAfterS: opts.offlineAfter,
    }),
  );
  if (!machineResult.success) {
    throw new MierukaError('CONFIG_INVALID', `machine thresholds: ${machineResult.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`);
  }
  return machineResult.data;
}

/** --print: every reading, message and skipped line on the terminal. */
function printSerial(source: SerialLineReader, ctx: CliContext): void {
  source.on('message', (m: SerialMessage) => {
    if (m.type === 'rms') ctx.print(`${new Date().toISOString()}  seq ${m.seq}  ${m.irms.map((a, i) => `ch${i} ${a.toFixed(3)} A`).join('  ')}`);
    else ctx.print(`${new Date().toISOString()}  ${JSON.stringify(m)}`);
  });
  source.on('skip', (s: { reason: string; detail: string }) => ctx.print(`${new Date().toISOString()}  skipped (${s.reason}): ${s.detail}`));
}

async function runBridge(opts: BridgeOptions, ctx: CliContext): Promise<void> {
  if (opts.cal.channel !== null) throw new MierukaError('CONFIG_INVALID', `--cal: channel ${opts.cal.channel} needs a factor (${CAL_USAGE})`);
  const { config } = loadConfig({
    file: opts.config,
    env: ctx.env,
    cwd: ctx.cwd,
    overrides: prune({ site: opts.site, log: { level: opts.logLevel }, bridge: { serialPort: opts.port, node: opts.node, ...mqttLinkOverrides(opts) } }),
  });
  const node = config.bridge.node;
  if (!node) throw new MierukaError('CONFIG_INVALID', 'which machine is this? give --node <id> (or bridge.node in the config file)');
  const machine = bridgeMachine(config, node, opts);
  // Loaded here, not at the top: every command shares one program, and the hub must not pay
  // for the edge agents' modules (sharp, serialport, opencv) it never runs.
  const [{ findSerialPort, SerialLineReader }, { CurrentAgent, MqttNodeLink, mqttLinkConnection, OnoffGpioPort, QualityButtons }] = await Promise.all([import('@mieruka/firmware-bridge'), import('@mieruka/edge')]);
  // Password and CA files are read now: a wrong path fails the start, before the serial port opens.
  const connection = await mqttLinkConnection(config.bridge, ctx.cwd);
  const logger = createLogger(config.log.level);
  logger.info({ config: redactConfig(config), machine }, 'starting bridge');

  const explicitPort = config.bridge.serialPort;
  const source = new SerialLineReader({
    path: explicitPort ?? (() => findSerialPort()),
    baudRate: config.bridge.baudRate,
    logger: logger.child({ component: 'serial' }),
    reconnect: { maxMs: config.bridge.reconnectMaxMs },
  });
  const link = new MqttNodeLink({
    ...connection,
    site: config.site,
    node,
    agent: 'bridge',
    version: MIERUKA_VERSION,
    dataDir: resolve(ctx.cwd, opts.dataDir),
    logger: logger.child({ component: 'mqtt' }),
  });
  const calibration = [
    ...config.bridge.calibration,
    ...opts.cal.pairs.map((c) => ({ channel: c.channel, ampsPerVolt: c.ampsPerVolt })),
  ];
  const agent = new CurrentAgent({ link, source, machine, logger: logger.child({ component: 'current-agent' }), calibration });
  // Good / scrap buttons only when wired in the config: no GPIO is touched otherwise (onoff loads lazily).
  const buttons = QualityButtons.configured(machine.buttons) ? new QualityButtons({ link, gpio: new OnoffGpioPort(), buttons: machine.buttons, logger: logger.child({ component: 'quality-buttons' }) }) : null;
  if (opts.print) printSerial(source, ctx);
  const service = {
    async start() {
      // A hub that is down must not keep the bridge from reading: the serial port opens at
      // once and readings wait in the outbox; refused credentials still fail the start.
      await link.start({ waitForConnect: false });
      await agent.start();
      await buttons?.start();
      try {
        await link.firstConnect({ connectTimeoutMs: 5000, whenUnreachable: 'continue' });
      } catch (err) {
        await buttons?.stop();
        await agent.stop();
        throw err;
      }
    },
    async stop() {
      await buttons?.stop();
      await agent.stop();
      await link.stop();
    },
  };
  await service.start();
  ctx.keepRunning(service, 'bridge');
  ctx.print(`Mieruka bridge: ${explicitPort ?? 'auto-detected serial port'} → ${redactUrl(config.bridge.mqttUrl)} as ${config.site}/${node}`);
  if (buttons) ctx.print(`Quality buttons: ${Object.entries(buttons.stats().lines).map(([kind, status]) => `${kind} GPIO ${machine.buttons[kind as 'good' | 'scrap']?.gpio} ${status}`).join(', ')}`);
}
