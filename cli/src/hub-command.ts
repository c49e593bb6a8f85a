import type { Command } from 'commander';
import { redactConfig } from '@mieruka/protocol';
import { createHub } from './compose-hub.js';
import type { CliContext } from './context.js';
import { loadConfig } from './load-config.js';
import { createLogger } from './logger.js';
import { portOption, prune } from './options.js';

export function registerHubCommand(program: Command, ctx: CliContext): void {
  program
    .command('hub')
    .description('run the hub: MQTT broker (TCP, TLS when hub.mqtt.tls is set, WebSocket), storage and the dashboard')
    .option('-c, --config <file>', 'config file (default: ./mieruka.yaml or /etc/mieruka/mieruka.yaml; env MIERUKA_CONFIG)')
    .option('--mqtt-port <port>', 'MQTT TCP port (default 1883)', portOption)
    .option('--http-port <port>', 'dashboard HTTP port, also MQTT over WebSocket at /mqtt (default 8080)', portOption)
    .option('--host <address>', 'address to listen on for MQTT and HTTP (default 0.0.0.0)')
    .option('--data-dir <dir>', 'where the database, broker state and images live (default ./data)')
    .option('--log-level <level>', 'fatal|error|warn|info|debug|trace|silent (default info)')
    .action(async (opts: { config?: string; mqttPort?: number; httpPort?: number; host?: string; dataDir?: string; logLevel?: string }) => {
      const { config, file } = loadConfig({
        file: opts.config,
        env: ctx.env,
        cwd: ctx.cwd,
        overrides: prune({
          log: { level: opts.logLevel },
          hub: { dataDir: opts.dataDir, mqtt: { port: opts.mqttPort, host: opts.host }, http: { port: opts.httpPort, host: opts.host } },
        }),
      });
      const logger = createLogger(config.log.level);
      logger.info({ configFile: file ?? '(defaults)', config: redactConfig(config) }, 'starting hub');
      const hub = createHub({ config, logger });
      await hub.start();
      ctx.keepRunning(hub, 'hub');
      const mqtts = hub.mqttsUrl;
      ctx.print(`Mieruka hub: MQTT ${hub.mqttUrl}${mqtts ? `, MQTT over TLS ${mqtts}` : ''}, dashboard ${hub.httpUrl}`);
    });
}
