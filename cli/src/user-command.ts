/**
 * `mieruka user add|passwd|remove|role|sites|list`: dashboard accounts in the hub's SQLite database
 * (hub.dataDir from the same config as `mieruka hub`). Safe while the hub runs: WAL plus a
 * busy timeout, and the running hub notices a changed password, role, sites or removal at the
 * user's next request (their sessions end; see SqlUserVerifier.credentialStamp).
 */
import { join, resolve } from 'node:path';
import { InvalidArgumentError, type Command } from 'commander';
import { pino } from 'pino';
import type { Config } from '@mieruka/protocol';
import { checkSites, openDatabase, SqliteSqlStore, SqlUserVerifier, UserChangeRefused, type Role } from '@mieruka/broker';
import type { CliContext } from './context.js';
import { loadConfig } from './load-config.js';
import { readNewPassword } from './password-input.js';
import { prune } from './options.js';

type StoreOptions = { config?: string; dataDir?: string };

/** `--sites a,b`: a comma-separated list (checked against protocol's id rules by the verifier). */
function sitesOption(value: string): string[] {
  const sites = value.split(',').map((s) => s.trim()).filter((s) => s.length > 0);
  if (sites.length === 0) throw new InvalidArgumentError('give site ids separated by commas, e.g. hall-a,hall-b');
  return sites;
}

const sitesText = (sites: readonly string[] | null) => (sites === null ? 'all sites' : `sites ${sites.join(', ')}`);

function roleOption(value: string): Role {
  if (value !== 'viewer' && value !== 'admin') throw new InvalidArgumentError('use viewer (read, acknowledge alarms) or admin (everything)');
  return value;
}

/** Opens the users table of the hub's database, runs `work`, closes it again. */
async function withUsers<T>(ctx: CliContext, opts: StoreOptions, work: (users: SqlUserVerifier, config: Readonly<Config>) => Promise<T> | T): Promise<T> {
  const { config } = loadConfig({ file: opts.config, env: ctx.env, cwd: ctx.cwd, overrides: prune({ hub: { dataDir: opts.dataDir } }) });
  const file = join(resolve(ctx.cwd, config.hub.dataDir), 'mieruka.db');
  const db = openDatabase(file);
  const sql = new SqliteSqlStore(db);
  try {
    return await work(new SqlUserVerifier({ sql, logger: pino({ level: 'silent' }) }), config);
  } finally {
    await sql.close();
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
        'Works while the hub runs; a changed password, role or sites, or a removal, ends that user\'s open sessions.\n\n' +
        'A viewer given --sites sees only those sites\' machines and benches (admins always see every site).\n\n' +
        'Examples:\n  mieruka user add suzuki --role viewer\n  mieruka user add sato --sites hall-a,hall-b\n  mieruka user sites sato hall-a\n  mieruka user sites sato --all\n  echo "$PASSWORD" | mieruka user add tanaka --role admin --password-stdin\n  mieruka user passwd suzuki\n  mieruka user list',
    );

  withStoreOptions(user.command('add <name>').description('add a user'))
    .option('--role <role>', 'viewer or admin', roleOption, 'viewer' as Role)
    .option('--sites <ids>', 'a viewer sees only these sites (comma-separated site ids); default: every site', sitesOption)
    .option('--password-stdin', 'read the password from the first line of stdin')
    .action(async (name: string, opts: StoreOptions & { role: Role; sites?: string[]; passwordStdin?: boolean }) => {
      // Refuse before the password prompt: admins see every site, so --sites would mislead.
      if (opts.sites && opts.role === 'admin') throw new UserChangeRefused('--sites is for viewers: an admin always sees every site');
      const sites = opts.sites ? checkSites(opts.sites) : null;
      const password = await readNewPassword({ input: ctx.stdin, output: ctx.stderr, fromStdin: opts.passwordStdin === true, who: name });
      await withUsers(ctx, opts, async (users) => {
        await users.add(name, password, opts.role, sites);
        ctx.print(`added user ${name} (${opts.role}${sites ? `, ${sitesText(sites)}` : ''})`);
      });
    });

  withStoreOptions(user.command('passwd <name>').description('set a new password (open sessions of the user end)'))
    .option('--password-stdin', 'read the password from the first line of stdin')
    .action(async (name: string, opts: StoreOptions & { passwordStdin?: boolean }) => {
      // Check the user exists before asking for a password nobody can use.
      await withUsers(ctx, opts, async (users) => {
        if (!(await users.has(name))) throw new UserChangeRefused(`no user "${name}" (add it with: mieruka user add ${name})`);
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
      await withUsers(ctx, opts, async (users, config) => {
        const changed = await users.setRole(name, wanted);
        ctx.print(changed ? `${name} is now ${wanted}; their open sessions end` : `${name} already is ${wanted}`);
        if (changed && wanted === 'viewer') {
          const note = configAdminNote(config, name, 'makes it admin again');
          if (note) ctx.print(note);
        }
      });
    });

  withStoreOptions(user.command('sites').description('limit a viewer to some sites, or (--all) let it see every site (open sessions of the user end)'))
    .argument('<name>')
    .argument('[sites]', 'comma-separated site ids, e.g. hall-a,hall-b', sitesOption)
    .option('--all', 'every site (the default for a new user)')
    .action(async (name: string, sites: string[] | undefined, opts: StoreOptions & { all?: boolean }) => {
      if ((sites === undefined) === (opts.all !== true)) throw new UserChangeRefused('give the sites (hall-a,hall-b) or --all, not both');
      await withUsers(ctx, opts, async (users) => {
        const wanted = opts.all ? null : (sites ?? null);
        const changed = await users.setSites(name, wanted);
        const now = sitesText(await users.sitesOf(name));
        ctx.print(changed ? `${name} now sees ${now}; their open sessions end` : `${name} already sees ${now}`);
        if (wanted !== null && (await users.list()).find((u) => u.username === name)?.role === 'admin') ctx.print(`note: ${name} is admin and sees every site while it stays admin`);
      });
    });

  withStoreOptions(user.command('remove <name>').alias('rm').description('remove a user (open sessions end; the last admin cannot be removed)'))
    .action(async (name: string, opts: StoreOptions) => {
      await withUsers(ctx, opts, async (users, config) => {
        if (!(await users.remove(name))) throw new UserChangeRefused(`no user "${name}"`);
        ctx.print(`removed user ${name}; their open sessions end`);
        const note = configAdminNote(config, name, 'creates it again');
        if (note) ctx.print(note);
      });
    });

  withStoreOptions(user.command('list').alias('ls').description('list users, roles and sites (* = every site; never passwords or hashes)'))
    .action(async (opts: StoreOptions) => {
      await withUsers(ctx, opts, async (users) => {
        const list = await users.list();
        if (list.length === 0) {
          ctx.print('no users yet: mieruka user add <name> --role admin');
          return;
        }
        const width = Math.max(8, ...list.map((u) => u.username.length));
        ctx.print(`${'USERNAME'.padEnd(width)}  ROLE    CHANGED                   SITES`);
        for (const u of list) {
          // An admin's stored sites are not in effect: say so rather than show a limit that is not there.
          const sites = u.role === 'admin' || u.sites === null ? '*' : u.sites.join(',');
          ctx.print(`${u.username.padEnd(width)}  ${u.role.padEnd(6)}  ${new Date(u.updatedAt).toISOString()}  ${sites}`);
        }
      });
    });
}
