/**
 * `mieruka station`: the clutter station as an edge agent (camera, schedule, light, PIR,
 * voice) publishing to the hub over MQTT. `--once` takes one shot through the same path (light,
 * settle, camera, scoring) without MQTT and prints the score: the installation check.
 */
import { writeFile } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import type { Command } from 'commander';
import type { NodeLink } from '@mieruka/edge';
import { ID_PATTERN, MIERUKA_VERSION, MierukaError, redactConfig, redactUrl, StationConfig, type ClutterPayload } from '@mieruka/protocol';
import type { CliContext } from './context.js';
import { loadConfig } from './load-config.js';
import { createLogger } from './logger.js';
import { addMqttLinkFlags, mqttLinkOverrides, type MqttLinkFlags } from './mqtt-link-flags.js';

type StationOptions = MqttLinkFlags & { station: string; config?: string; once?: boolean; out?: string; dataDir: string; logLevel?: string };

/** A NodeLink that keeps what would be published (for --once). */
class LocalLink implements NodeLink {
  readonly site: string;
  readonly node: string;
  clutter: ClutterPayload | null = null;
  image: Buffer | null = null;
  detail: string | undefined;
  private seq = 0;
  constructor(site: string, node: string) {
    this.site = site;
    this.node = node;
  }
  nextSeq(): number {
    return this.seq++;
  }
  async publish(kind: string, payload: unknown): Promise<void> {
    if (kind === 'clutter') this.clutter = payload as ClutterPayload;
  }
  async publishImage(jpeg: Buffer): Promise<void> {
    this.image = jpeg;
  }
  onCommand(): () => void {
    return () => undefined;
  }
  setStatusDetail(detail: string | undefined): void {
    this.detail = detail;
  }
}

export function registerStationCommand(program: Command, ctx: CliContext): void {
  const command = program
    .command('station')
    .description('run a clutter-score station: camera shots at the configured slots, light, PIR motion and voice, published to the hub')
    .requiredOption('--station <id>', 'station id (a key of `stations` in the config file)')
    .option('--config <file>', 'config file (default: mieruka.yaml, /etc/mieruka/mieruka.yaml)');
  addMqttLinkFlags(command, 'hub MQTT URL, e.g. mqtts://factory%2Fbench-1@hub:8883 (default: bridge.mqttUrl of the config)')
    .option('--once', 'take one shot now, print the score and exit (no MQTT)')
    .option('--out <file>', 'with --once: write the annotated JPEG here')
    .option('--data-dir <dir>', 'where the message sequence counter and the store-and-forward queue are kept', './data/station')
    .option('--log-level <level>', 'fatal, error, warn, info, debug, trace or silent')
    .addHelpText('after', '\nExamples:\n  mieruka station --station bench-1 --once --out shot.jpg\n  mieruka station --station bench-1 --mqtt mqtt://192.168.1.20:1883')
    .action(async (opts: StationOptions) => {
      if (!ID_PATTERN.test(opts.station)) throw new MierukaError('CONFIG_INVALID', `--station ${opts.station}: use a-z, 0-9 and "-"`);
      const { config, file } = loadConfig({
        env: ctx.env,
        cwd: ctx.cwd,
        ...(opts.config === undefined ? {} : { file: opts.config }),
        overrides: {
          ...(opts.logLevel === undefined ? {} : { log: { level: opts.logLevel } }),
          bridge: mqttLinkOverrides(opts),
        },
      });
      const configured = config.stations[opts.station];
      if (!configured) ctx.print(`note: no stations.${opts.station} in the config; using the defaults (camera /dev/video0, no light, no PIR)`);
      const station = configured ?? StationConfig.parse({});
      // --once is an interactive check: info logs would bury the one line it prints.
      const logger = createLogger(opts.once && opts.logLevel === undefined && config.log.level === 'info' ? 'warn' : config.log.level);
      // A relative camera file/folder is relative to the config file, like a person reads it.
      const base = file ? dirname(file) : ctx.cwd;
      const cameraCfg = station.camera.path === undefined ? station.camera : { ...station.camera, path: resolve(base, station.camera.path) };
      // Loaded on use: every command shares this program, and the hub must not carry the edge code.
      const { ClutterStation, CommandAudioSink, createCamera, createTts, ManualSlotScheduler, MqttNodeLink, mqttLinkConnection, OnoffGpioPort, Voice } = await import('@mieruka/edge');
      const camera = createCamera(cameraCfg);
      const gpio = new OnoffGpioPort();
      const voice = new Voice(station.voice, createTts(station.voice), new CommandAudioSink({ player: station.voice.player }));

      if (opts.once) {
        const link = new LocalLink(config.site, opts.station);
        const st = new ClutterStation({ link, station, camera, gpio, logger, timeZone: config.timezone, scheduler: new ManualSlotScheduler() });
        await st.start();
        try {
          const shot = await st.capture('manual');
          if (!shot.ok) throw new MierukaError('CAMERA_UNAVAILABLE', shot.error);
          if (opts.out && link.image) await writeFile(resolve(ctx.cwd, opts.out), link.image);
          const s = st.stats();
          ctx.print(`${opts.station}: score ${shot.payload.score.toFixed(1)} (covered ${(shot.payload.coveredRatio * 100).toFixed(1)} %) — ${camera.description}, backend ${s.backend}`);
          if (link.detail) ctx.print(`note: ${link.detail}`);
          if (opts.out) ctx.print(`annotated image: ${opts.out}`);
        } finally {
          await st.stop();
        }
        return;
      }

      logger.info({ config: redactConfig(config), station: opts.station }, 'starting station');
      const connection = await mqttLinkConnection(config.bridge, ctx.cwd);
      const link = new MqttNodeLink({
        ...connection,
        site: config.site,
        node: opts.station,
        agent: 'clutter-station',
        version: MIERUKA_VERSION,
        dataDir: resolve(ctx.cwd, opts.dataDir),
        logger: logger.child({ component: 'mqtt' }),
      });
      // Arrival lines keep to the work calendar of this config file, and choose by the latest score kept beside the seq counter.
      const st = new ClutterStation({ link, station, camera, gpio, voice, logger, timeZone: config.timezone, shifts: config.shifts, lastScoreFile: resolve(ctx.cwd, opts.dataDir, `last-score-${config.site}-${opts.station}.json`) });
      const service = {
        async stop() {
          await st.stop();
          await link.stop();
        },
      };
      await link.start({ waitForConnect: false });
      try {
        await st.start();
      } catch (err) {
        await link.stop();
        throw err;
      }
      ctx.keepRunning(service, 'station');
      ctx.print(`Mieruka station ${opts.station}: ${camera.description}, slots ${station.slots.join(' ')} (${config.timezone}) → ${redactUrl(config.bridge.mqttUrl)}`);
    });
}
