import { randomBytes } from 'node:crypto';
import type { Command } from 'commander';
import type { CliContext } from './context.js';
import type { DemoHistory } from './demo/demo.js';
import { loadConfig } from './load-config.js';
import { createLogger } from './logger.js';
import { portOption, positiveInt, prune } from './options.js';

export function registerDemoCommand(program: Command, ctx: CliContext): void {
  program
    .command('demo')
    .description('run everything on this machine: hub, dashboard, simulated machines and a clutter station, with 30 days of history in a new data dir')
    .option('--http-port <port>', 'dashboard port', portOption, 8080)
    .option('--mqtt-port <port>', 'MQTT port', portOption, 1883)
    .option('--data-dir <dir>', 'data directory', './data')
    .option('--admin-password <password>', 'dashboard admin password (default: a new random one, printed)')
    .option('--host <address>', 'address to listen on; 0.0.0.0 opens the demo to your LAN', '127.0.0.1')
    .option('--machines <n>', 'number of simulated machines', positiveInt, 2)
    .option('--in-process', 'simulate the serial link in-process even when socat is installed')
    .option('--no-history', 'start empty: no 30 days of history in a new data dir')
    .option('--log-level <level>', 'log level of the JSON logs on stderr', 'warn')
    .action(
      async (opts: {
        httpPort: number;
        mqttPort: number;
        dataDir: string;
        adminPassword?: string;
        host: string;
        machines: number;
        inProcess?: boolean;
        history: boolean;
        logLevel: string;
      }) => {
        const generated = opts.adminPassword === undefined && ctx.env.MIERUKA_DASHBOARD__ADMIN_PASSWORD === undefined;
        const { config } = loadConfig({
          env: ctx.env,
          cwd: ctx.cwd,
          // The demo ignores config files on purpose: it must run the same everywhere.
          file: undefined,
          overrides: prune({
            log: { level: opts.logLevel },
            hub: { dataDir: opts.dataDir, mqtt: { port: opts.mqttPort, host: opts.host }, http: { port: opts.httpPort, host: opts.host } },
            dashboard: { adminPassword: opts.adminPassword ?? (generated ? randomBytes(12).toString('base64url') : undefined) },
          }),
        });
        const logger = createLogger(config.log.level);
        // Loaded on use: the demo pulls in the edge agents and the simulator, which the hub never needs.
        const { Demo } = await import('./demo/demo.js');
        const demo = new Demo({ config, logger, machines: opts.machines, serial: opts.inProcess ? 'in-process' : 'auto', historyDays: opts.history ? 30 : 0 });
        await demo.start();
        ctx.keepRunning(demo, 'demo');
        const shownHost = opts.host === '0.0.0.0' ? 'localhost' : opts.host === '127.0.0.1' ? 'localhost' : opts.host;
        ctx.print('');
        ctx.print('  Mieruka demo is running / デモ起動中');
        ctx.print(`  Dashboard / ダッシュボード:  http://${shownHost}:${demo.hub.httpPort}/`);
        ctx.print(`  Login / ログイン:            ${config.dashboard.adminUser} / ${generated ? config.dashboard.adminPassword : '(the password you gave)'}`);
        ctx.print(`  MQTT:                        mqtt://${shownHost}:${demo.hub.mqttPort}  (try: mosquitto_sub -p ${demo.hub.mqttPort} -t 'mieruka/v1/#' -v)`);
        ctx.print(`  Simulated machines:          ${demo.machineIds.join(', ')} (serial: ${demo.serialMode})`);
        ctx.print(`  Clutter station:             ${demo.stationId}`);
        ctx.print(`  Data:                        ${config.hub.dataDir}`);
        ctx.print(`  History / 履歴:              ${historyLine(demo.history)}`);
        ctx.print('  Ctrl-C stops everything / Ctrl-C で停止');
        ctx.print('');
      },
    );
}

function historyLine(history: DemoHistory): string {
  if (!history.backfilled) {
    if (history.reason === 'off') return 'none (--no-history)';
    if (history.reason === 'alert-channels') return 'none: alert channels are configured, the past alarms would be sent';
    return 'kept: the data dir has data already, nothing added';
  }
  return `${history.days} days backfilled (${history.messages} messages, ${history.acknowledged} alarms acknowledged, ${history.qualityEntries} quality entries, ${history.reasons} stop reasons) in ${(history.ms / 1000).toFixed(1)} s`;
}
