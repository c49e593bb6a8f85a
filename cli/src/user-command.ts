/**
 * `mieruka user add|passwd|remove|role|list`: dashboard accounts in the hub's SQLite database
 * (hub.dataDir from the same config as `mieruka hub`). Safe while the hub runs: WAL plus a
 * busy timeout, and the running hub notices a changed password, role or removal at the
 * user's next request (their sessions end; see SqliteUserVerifier.credentialStamp).
 */
import { join, resolve } from 'node:path';
import { InvalidArgumentError, type Command } from 'commander';
import { pino } from 'pino';
import type { Config } from '@mieruka/protocol';
import { SqliteUserVerifier, UserChangeRefused, type Role } from '@mieruka/broker';
import { openDatabase } from '@mieruka/broker';
import type { CliContext } from './context.js';
import { loadConfig } from './load-config.js';
import { readNewPassword } from './password-input.js';
import { prune } from './options.js';

type StoreOptions = { config?: string; dataDir?: string };

function roleOption(value: string): Role {
  if (value !== 'viewer' && value !== 'admin') throw new InvalidArgumentError('use viewer (read, acknowledge alarms) or admin (everything)');
  return value;
}

/** Opens the users table of the hub's database, runs `work`, closes it again. */
async function withUsers<T>(ctx: CliContext, opts: StoreOptions, work: (users: SqliteUserVerifier, config: Readonly<Config>) => Promise<T> | T): Promise<T> {
  const { config } = loadConfig({ file: opts.config, env: ctx.env, cwd: ctx.cwd, overrides: prune({ hub: { dataDir: opts.dataDir } }) });
  const file = join(resolve(ctx.cwd, config.hub.dataDir), 'mieruka.db');
  const db = openDatabase(file);
  try {
    return await work(new SqliteUserVerifier({ db, logger: pino({ level: 'silent' }) }), config);
  } finally {
    db.close();
  }
}

/** The config's admin account is re-applied by the hub at every start; say so instead of surprising. */
function configAdminNote(config: Readonly<Config>, username: string, what: string): string | null {
  if (username !== config.dashboard.adminUser || !config.dashboard.adminPassword) return null;
  return `note: "${username}" is dashboard.adminUser with dashboard.adminPassword in the config; the hub ${what} at its next start. Remove adminPassword from the config to manage this account here.`;
}

function withStoreOptions(command: Command): Command {
  return command
    .option('-c, --config <file>', 'config file (default: ./mieruka.yaml or /etc/mieruka/mieruka.yaml; env MIERUKA_CONFIG)')
    .option('--data-dir <dir>', 'the hub\'s data directory (default: hub.dataDir from the config, ./data)');
}

export function registerUserCommand(program: Command, ctx: CliContext): void {
  const user = program
    .command('user')
    .description('manage dashboard users (viewer: read and acknowledge alarms; admin: everything)')
    .addHelpText(
      'after',
      '\nPasswords are typed twice at a hidden prompt, or read from stdin with --password-stdin; never given as arguments.\n' +
        'Works while the hub runs; a changed password, role or removal ends that user\'s open sessions.\n\n' +
        'Examples:\n  mieruka user add suzuki --role viewer\n  echo "$PASSWORD" | mieruka user add tanaka --role admin --password-stdin\n  mieruka user passwd suzuki\n  mieruka user list',
    );

  withStoreOptions(user.command('add <name>').description('add a user'))
    .option('--role <role>', 'viewer or admin', roleOption, 'viewer' as Role)
    .option('--password-stdin', 'read the password from the first line of stdin')
    .action(async (name: string, opts: StoreOptions & { role: Role; passwordStdin?: boolean }) => {
      const password = await readNewPassword({ input: ctx.stdin, output: ctx.stderr, fromStdin: opts.passwordStdin === true, who: name });
      await withUsers(ctx, opts, async (users) => {
        await users.add(name, password, opts.role);
        ctx.print(`added user ${name} (${opts.role})`);
      });
    });

  withStoreOptions(user.command('passwd <name>').description('set a new password (open sessions of the user end)'))
    .option('--password-stdin', 'read the password from the first line of stdin')
    .action(async (name: string, opts: StoreOptions & { passwordStdin?: boolean }) => {
      // Check the user exists before asking for a password nobody can use.
      await withUsers(ctx, opts, (users) => {
        if (!users.has(name)) throw new UserChangeRefused(`no user "${name}" (add it with: mieruka user add ${name})`);
      });
      const password = await readNewPassword({ input: ctx.stdin, output: ctx.stderr, fromStdin: opts.passwordStdin === true, who: name });
      await withUsers(ctx, opts, async (users, config) => {
        await users.changePassword(name, password);
        ctx.print(`password changed for ${name}; their open sessions end`);
        const note = configAdminNote(config, name, 'sets the password from the config again');
        if (note) ctx.print(note);
      });
    });

  withStoreOptions(user.command('role').description('make a user viewer or admin (open sessions of the user end)'))
    .argument('<name>')
    .argument('<role>', 'viewer or admin', roleOption)
    .action(async (name: string, wanted: Role, opts: StoreOptions) => {
      await withUsers(ctx, opts, (users, config) => {
        const changed = users.setRole(name, wanted);
        ctx.print(changed ? `${name} is now ${wanted}; their open sessions end` : `${name} already is ${wanted}`);
        if (changed && wanted === 'viewer') {
          const note = configAdminNote(config, name, 'makes it admin again');
          if (note) ctx.print(note);
        }
      });
    });

  withStoreOptions(user.command('remove <name>').alias('rm').description('remove a user (open sessions end; the last admin cannot be removed)'))
    .action(async (name: string, opts: StoreOptions) => {
      await withUsers(ctx, opts, (users, config) => {
        if (!users.remove(name)) throw new UserChangeRefused(`no user "${name}"`);
        ctx.print(`removed user ${name}; their open sessions end`);
        const note = configAdminNote(config, name, 'creates it again');
        if (note) ctx.print(note);
      });
    });

  withStoreOptions(user.command('list').alias('ls').description('list users and roles (never passwords or hashes)'))
    .action(async (opts: StoreOptions) => {
      await withUsers(ctx, opts, (users) => {
        const list = users.list();
        if (list.length === 0) {
          ctx.print('no users yet: mieruka user add <name> --role admin');
          return;
        }
        const width = Math.max(8, ...list.map((u) => u.username.length));
        ctx.print(`${'USERNAME'.padEnd(width)}  ROLE    CHANGED`);
        for (const u of list) ctx.print(`${u.username.padEnd(width)}  ${u.role.padEnd(6)}  ${new Date(u.updatedAt).toISOString()}`);
      });
    });
}
