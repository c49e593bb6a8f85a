/**
 * `mieruka doctor`: checks an installation (config, data dir, serial, camera, GPIO, audio,
 * broker, SMTP, PATLITE, clock) and says what to do. Exit status 0 (no fail), 1 (a check
 * failed) or 2 (the doctor could not run). The checks load only when the command runs.
 */
import { InvalidArgumentError, type Command } from 'commander';
import type { CliContext } from '../context.js';
import type { Lang } from './check.js';

type DoctorOptions = { config?: string; json?: boolean; lang?: Lang; only?: string[] };

function langOption(value: string): Lang {
  if (value !== 'ja' && value !== 'en') throw new InvalidArgumentError('use ja or en');
  return value;
}

const listOption = (value: string): string[] => value.split(',').map((s) => s.trim()).filter((s) => s !== '');

export function registerDoctorCommand(program: Command, ctx: CliContext): void {
  program
    .command('doctor')
    .description('check this installation: config, data dir, serial port, camera, GPIO, audio, broker, SMTP, PATLITE, clock — and say what to do')
    .option('--config <file>', 'config file (default: mieruka.yaml, /etc/mieruka/mieruka.yaml)')
    .option('--json', 'print {checks:[{id,status,message,fix}], summary:{ok,warn,fail,skip}}')
    .option('--lang <ja|en>', 'language of the messages (default: from LC_ALL / LANG)', langOption)
    .option('--only <checks>', 'comma-separated checks: config,data-dir,serial,camera,gpio,audio,broker,smtp,patlite,clock', listOption)
    .addHelpText('after', '\nExamples:\n  mieruka doctor\n  mieruka doctor --config /etc/mieruka/mieruka.yaml --lang en\n  mieruka doctor --only serial,broker --json\n\nExit status: 0 when no check failed (warnings allowed), 1 when one failed, 2 when the doctor could not run.')
    .action(async (opts: DoctorOptions) => {
      const { CHECK_IDS, loadConfigSource, runDoctor } = await import('./run-doctor.js');
      const { langFromEnv, reportJson, reportText } = await import('./format-report.js');
      const { runHostCommand } = await import('./run-command.js');
      const lang = opts.lang ?? langFromEnv(ctx.env);
      const unknown = (opts.only ?? []).filter((id) => !CHECK_IDS.includes(id));
      if (unknown.length > 0) {
        ctx.print(lang === 'ja' ? `mieruka doctor: 不明なチェック ${unknown.join(', ')}（使えるもの: ${CHECK_IDS.join(', ')}）` : `mieruka doctor: unknown check ${unknown.join(', ')} (known: ${CHECK_IDS.join(', ')})`);
        ctx.setExitCode?.(2);
        return;
      }
      const source = loadConfigSource({ env: ctx.env, cwd: ctx.cwd, ...(opts.config === undefined ? {} : { file: opts.config }) });
      const run = await runDoctor({ source, cwd: ctx.cwd, env: ctx.env, runCommand: runHostCommand, serialListenMs: 5_000 }, opts.only);
      if (opts.json) ctx.print(JSON.stringify(reportJson(run.outcomes, lang), null, 2));
      else for (const line of reportText(run.outcomes, lang, source.file)) ctx.print(line);
      ctx.setExitCode?.(run.exitCode);
    });
}
