/**
 * `mieruka device add|passwd|remove|list`: MQTT accounts in the hub's SQLite database
 * (hub.dataDir from the same config as `mieruka hub`), modelled on `mieruka user`. Safe while
 * the hub runs: it reads the account at every CONNECT and re-reads every account each second
 * for the checks at every message of a connected client, so a new password or a removal takes
 * effect within a second.
 */
import { join, resolve } from 'node:path';
import type { Command } from 'commander';
import { pino } from 'pino';
import type { Config } from '@mieruka/protocol';
import { DeviceAccounts, openDatabase, SqliteSqlStore, UserChangeRefused } from '@mieruka/broker';
import type { CliContext } from './context.js';
import { loadConfig } from './load-config.js';
import { prune } from './options.js';
import { readNewPassword } from './password-input.js';

type StoreOptions = { config?: string; dataDir?: string };

async function withAccounts<T>(ctx: CliContext, opts: StoreOptions, work: (accounts: DeviceAccounts, config: Readonly<Config>) => Promise<T> | T): Promise<T> {
  const { config } = loadConfig({ file: opts.config, env: ctx.env, cwd: ctx.cwd, overrides: prune({ hub: { dataDir: opts.dataDir } }) });
  const db = openDatabase(join(resolve(ctx.cwd, config.hub.dataDir), 'mieruka.db'));
  const sql = new SqliteSqlStore(db);
  try {
    return await work(new DeviceAccounts({ sql, logger: pino({ level: 'silent' }) }), config);
  } finally {
    await sql.close();
    db.close();
  }
}

function withStoreOptions(command: Command): Command {
  return command
    .option('-c, --config <file>', 'config file (default: ./mieruka.yaml or /etc/mieruka/mieruka.yaml; env MIERUKA_CONFIG)')
    .option('--data-dir <dir>', 'the hub\'s data directory (default: hub.dataDir from the config, ./data)');
}

export function registerDeviceCommand(program: Command, ctx: CliContext): void {
  const device = program
    .command('device')
    .description('manage MQTT accounts: edge nodes (<site>/<node>) and read-only observers')
    .addHelpText(
      'after',
      '\nThe MQTT user name is exactly the name given here. A node account publishes only its own\n' +
        'readings (mieruka/v1/<site>/<node>/…, never cmd/…) and reads only its own commands; its\n' +
        'agents keep their default client ids (mieruka-<agent>-<site>-<node>), which no other client may use.\n' +
        'An observer (--observer) reads mieruka/v1/# and publishes nothing there (mosquitto_sub, Node-RED, Grafana).\n' +
        'Passwords are typed twice at a hidden prompt, or read from stdin with --password-stdin. Works while the hub runs.\n\n' +
        'Examples:\n  echo "$PASSWORD" | mieruka device add factory/mill-1 --password-stdin\n  mieruka device add grafana --observer\n  mieruka device list',
    );

  withStoreOptions(device.command('add <name>').description('add an edge node account (<site>/<node>) or an observer (--observer)'))
    .option('--observer', 'a read-only account (any name without "/")')
    .option('--password-stdin', 'read the password from the first line of stdin')
    .action(async (name: string, opts: StoreOptions & { observer?: boolean; passwordStdin?: boolean }) => {
      const kind = opts.observer === true ? 'observer' : 'node';
      // Refuse a bad name before asking for a password nobody can use.
      DeviceAccounts.checkName(name, kind);
      const password = await readNewPassword({ input: ctx.stdin, output: ctx.stderr, fromStdin: opts.passwordStdin === true, who: name });
      await withAccounts(ctx, opts, async (accounts, config) => {
        const account = await accounts.add(name, password, kind);
        if (account.kind === 'node') {
          ctx.print(`added node ${name}: MQTT user name "${name}", client ids mieruka-<agent>-${account.site}-${account.node}`);
          // The "/" of the name must be escaped in a URL; the password is never printed.
          // The password goes in a file (mode 600), not the URL: a URL shows in `ps` and shell history.
          ctx.print(`agents on that node: --mqtt 'mqtt://${encodeURIComponent(name)}@<hub>:${config.hub.mqtt.port}' --mqtt-password-file <file with the password>`);
        } else ctx.print(`added observer ${name}: MQTT user name "${name}", reads mieruka/v1/#`);
      });
    });

  withStoreOptions(device.command('passwd <name>').description('set a new password (its connections end within a second)'))
    .option('--password-stdin', 'read the password from the first line of stdin')
    .action(async (name: string, opts: StoreOptions & { passwordStdin?: boolean }) => {
      await withAccounts(ctx, opts, async (accounts) => {
        if (!(await accounts.has(name))) throw new UserChangeRefused(`no device "${name}" (add it with: mieruka device add ${name})`);
      });
      const password = await readNewPassword({ input: ctx.stdin, output: ctx.stderr, fromStdin: opts.passwordStdin === true, who: name });
      await withAccounts(ctx, opts, async (accounts) => {
        await accounts.changePassword(name, password);
        ctx.print(`password changed for ${name}; its connections end at their next message after the hub re-reads the accounts (every second)`);
      });
    });

  withStoreOptions(device.command('remove <name>').alias('rm').description('remove an account (its connections end within a second)')).action(
    async (name: string, opts: StoreOptions) => {
      await withAccounts(ctx, opts, async (accounts) => {
        if (!(await accounts.remove(name))) throw new UserChangeRefused(`no device "${name}"`);
        ctx.print(`removed device ${name}; its connections end at their next message after the hub re-reads the accounts (every second)`);
      });
    },
  );

  withStoreOptions(device.command('list').alias('ls').description('list accounts and kinds (never passwords or hashes)')).action(async (opts: StoreOptions) => {
    await withAccounts(ctx, opts, async (accounts) => {
      const list = await accounts.list();
      if (list.length === 0) {
        ctx.print('no MQTT accounts yet: mieruka device add <site>/<node>');
        return;
      }
      const width = Math.max(4, ...list.map((d) => d.name.length));
      ctx.print(`${'NAME'.padEnd(width)}  KIND      CHANGED`);
      for (const d of list) ctx.print(`${d.name.padEnd(width)}  ${d.kind.padEnd(8)}  ${new Date(d.updatedAt).toISOString()}`);
    });
  });
}
