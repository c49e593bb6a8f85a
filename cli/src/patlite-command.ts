/**
 * `mieruka patlite`: the installation check of a PATLITE LAN tower. Sends one PNS command and
 * says what happened; a tower that does not answer, refuses (NAK) or answers garbage fails the
 * command (non-zero exit) with a message that says what to check.
 */
import { InvalidArgumentError, type Command } from 'commander';
import { MierukaError } from '@mieruka/protocol';
import { PnsClient, PNS_DEFAULT_TIMEOUT_MS } from '@mieruka/broker';
import { encodeClear, encodeStatusRequest, hexBytes, PNS_DEFAULT_PORT, PNS_MODELS, type PnsModel } from '@mieruka/broker';
import { describePnsStatus } from '@mieruka/broker';
import { describeSignal, parseSignalSpec, signalToPnsFrame, type La6Command, type TowerSignal } from '@mieruka/broker';
import type { CliContext } from './context.js';
import { portOption, positiveInt } from './options.js';

function modelOption(value: string): PnsModel {
  const v = value.toLowerCase();
  if (!(PNS_MODELS as readonly string[]).includes(v)) throw new InvalidArgumentError('use la6 (LA6-POE) or nh (NHL, NHV, NH-FV)');
  return v as PnsModel;
}

function signalOption(value: string): TowerSignal {
  try {
    return parseSignalSpec(value);
  } catch (err) {
    throw new InvalidArgumentError((err as Error).message);
  }
}

function la6CommandOption(value: string): La6Command {
  const v = value.toUpperCase();
  if (v !== 'D' && v !== 'S') throw new InvalidArgumentError('use D (colours set by Mieruka) or S (colours configured in the tower)');
  return v;
}

type PatliteOptions = {
  host: string;
  port: number;
  model: PnsModel;
  set?: TowerSignal;
  clear?: boolean;
  status?: boolean;
  la6Command: La6Command;
  timeoutMs: number;
};

export function registerPatliteCommand(program: Command, ctx: CliContext): void {
  program
    .command('patlite')
    .description('check a PATLITE LAN signal tower (PNS over TCP): switch its lamps, clear it or read its status')
    .requiredOption('--host <host>', 'IP address or host name of the tower')
    .option('--port <port>', 'PNS port', portOption, PNS_DEFAULT_PORT)
    .requiredOption('--model <model>', 'la6 (LA6-POE, category AB) or nh (NHL/NHV/NH-FV, category XX)', modelOption)
    .option('--set <lamps>', 'e.g. red=on,amber=blink,green=off,buzzer=1 (tiers: red amber green blue white; not named = off)', signalOption)
    .option('--clear', 'all lamps and the buzzer off')
    .option('--status', 'print what the tower shows')
    .option('--la6-command <D|S>', 'LA6 only: D sets the colours itself, S uses the colours configured in the tower', la6CommandOption, 'D' as La6Command)
    .option('--timeout-ms <ms>', 'how long to wait for the tower to answer', positiveInt, PNS_DEFAULT_TIMEOUT_MS)
    .addHelpText(
      'after',
      '\nExamples:\n  mieruka patlite --host 192.168.10.1 --model nh --set red=on,buzzer=1\n  mieruka patlite --host 192.168.10.1 --model la6 --status\n  mieruka patlite --host 192.168.10.1 --model la6 --clear\n\nExit status: 0 when the tower acknowledged; 1 when it did not answer, refused (NAK) or answered garbage.',
    )
    .action(async (opts: PatliteOptions, command: Command) => {
      const chosen = [opts.set !== undefined, opts.clear === true, opts.status === true].filter(Boolean).length;
      if (chosen !== 1) command.error('error: choose exactly one of --set <lamps>, --clear or --status');
      const client = new PnsClient({ host: opts.host, port: opts.port, model: opts.model, timeoutMs: opts.timeoutMs, la6Command: opts.la6Command });
      const where = `PATLITE ${client.address} (${opts.model.toUpperCase()})`;
      if (opts.status) {
        ctx.print(`${where}: sending ${hexBytes(encodeStatusRequest(opts.model))}`);
        const status = await client.status();
        ctx.print(`${where}: status`);
        for (const line of describePnsStatus(status)) ctx.print(`  ${line}`);
        return;
      }
      const signal = opts.set;
      let frame: Buffer;
      try {
        frame = signal ? signalToPnsFrame(opts.model, signal, opts.la6Command) : encodeClear(opts.model);
      } catch (err) {
        throw new MierukaError('BAD_REQUEST', `--set: ${(err as Error).message}`, { cause: err });
      }
      ctx.print(`${where}: sending ${hexBytes(frame)}`);
      await client.send(frame);
      ctx.print(`${where}: ACK — ${signal ? describeSignal(signal) : 'all off'}`);
    });
}
