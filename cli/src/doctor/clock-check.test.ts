/** The clock check parses what timedatectl prints (the command runner is the host-OS edge). */
import { describe, expect, it } from 'vitest';
import { doctorContext, neverAborted } from '../test-support/doctor-context.js';
import { clockCheck } from './clock-check.js';
import type { CommandResult, RunCommand } from './run-command.js';

function answering(result: CommandResult): { run: RunCommand; calls: string[][] } {
  const calls: string[][] = [];
  return {
    calls,
    run: async (command, args) => {
      calls.push([command, ...args]);
      return result;
    },
  };
}

describe('clock check', () => {
  it('is ok when timedatectl says NTPSynchronized=yes', async () => {
    const { run, calls } = answering({ kind: 'exit', code: 0, stdout: 'yes\n', stderr: '' });
    const out = await clockCheck.run(doctorContext({}, { runCommand: run }), neverAborted);
    expect(out.status).toBe('ok');
    expect(calls).toEqual([['timedatectl', 'show', '-p', 'NTPSynchronized', '--value']]);
  });

  it('fails when it says no', async () => {
    const { run } = answering({ kind: 'exit', code: 0, stdout: 'no\n', stderr: '' });
    const out = await clockCheck.run(doctorContext({}, { runCommand: run }), neverAborted);
    expect(out.status).toBe('fail');
    expect(out.fix?.en).toContain('timedatectl set-ntp true');
  });

  it('warns "cannot tell" when timedatectl is missing or cannot answer (no systemd)', async () => {
    const missing = await clockCheck.run(doctorContext({}, { runCommand: answering({ kind: 'missing' }).run }), neverAborted);
    expect(missing.status).toBe('warn');
    expect(missing.message.en).toContain('cannot tell');
    const noBus = answering({ kind: 'exit', code: 1, stdout: '', stderr: 'System has not been booted with systemd as init system (PID 1). Can\'t operate.\n' });
    const out = await clockCheck.run(doctorContext({}, { runCommand: noBus.run }), neverAborted);
    expect(out.status).toBe('warn');
    expect(out.message.en).toContain('timedatectl exit 1: System has not been booted with systemd');
  });
});
