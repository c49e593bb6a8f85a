/**
 * `mieruka machine calibrate`: learns a machine's thresholds from a recorded trace (CSV,
 * serial lines, current payloads, `bridge --print` output) or from the readings the hub
 * stored, prints the report, and can write the proposal into the config file (comments kept).
 * The same trace also gives the production settings (edge/src/current/production-calibration.ts):
 * sensor.offLevelA and, when the running current shows load peaks, cycles.*.
 */
import { existsSync, readFileSync } from 'node:fs';
import { basename, join, resolve } from 'node:path';
import Database from 'better-sqlite3';
import { InvalidArgumentError, type Command } from 'commander';
import { isMap, parseDocument } from 'yaml';
import type { AmpsSample, CalibrationReport, ProductionCalibration } from '@mieruka/edge';
import { ID_PATTERN, MierukaError, parseConfig, type Config } from '@mieruka/protocol';
import { writeFileAtomicSync } from '@mieruka/protocol/node';
import type { CliContext } from './context.js';
import { loadConfig } from './load-config.js';

type CalibrateOptions = {
  trace?: string;
  dataDir?: string;
  node?: string;
  site?: string;
  since: string;
  channel?: number;
  config?: string;
  json?: boolean;
  write?: string;
};

type Loaded = { samples: AmpsSample[]; source: string; skipped: Record<string, number> };

function channelOption(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0 || n > 15) throw new InvalidArgumentError('must be a channel 0–15');
  return n;
}

/** "7d", "12h", "30m", "90s", "2w" before now, or an ISO date/time. */
export function parseSince(value: string, now: number): number {
  const m = /^(\d+(?:\.\d+)?)\s*([smhdw])$/.exec(value.trim());
  if (m) {
    const unit = { s: 1, m: 60, h: 3600, d: 86_400, w: 604_800 }[m[2] as 's' | 'm' | 'h' | 'd' | 'w'];
    return now - Number(m[1]) * unit * 1000;
  }
  const t = Date.parse(value);
  if (!Number.isFinite(t)) throw new MierukaError('CONFIG_INVALID', `--since ${value}: use e.g. 7d, 12h, 30m or an ISO date`);
  return t;
}

export function registerMachineCommand(program: Command, ctx: CliContext): void {
  const machine = program.command('machine').description('machine running monitor tools (calibration)');
  machine
    .command('calibrate')
    .description('learn off / idle / running thresholds from a recorded trace or from the readings the hub stored')
    .option('--trace <file>', 'recorded trace: CSV (ts,amps or ts,irms…), serial lines, current payloads (JSONL) or `mieruka bridge --print` output')
    .option('--data-dir <dir>', "the hub's data directory: reads <dir>/mieruka.db (read-only)")
    .option('--node <node>', 'machine id (needed with --data-dir and --write)')
    .option('--site <site>', 'site id (default: config site)')
    .option('--since <when>', 'with --data-dir: readings since (7d, 12h, 30m or an ISO date)', '7d')
    .option('--channel <n>', 'CT channel (default: the machine channel in the config, else 0)', channelOption)
    .option('-c, --config <file>', 'config file to read defaults from (site, channel, data dir)')
    .option('--json', 'print the report as JSON')
    .option('--write <config.yaml>', 'write the proposal into machines.<node> of this YAML file (comments kept; refused if the result is invalid)')
    .action(async (opts: CalibrateOptions) => {
      // Loaded on use, so the hub (same program) does not load the edge package.
      const { calibrateProduction, calibrateThresholds, parseTraceText } = await import('@mieruka/edge');
      const { config } = loadConfig({ file: opts.config, env: ctx.env, cwd: ctx.cwd });
      const node = opts.node ?? config.bridge.node;
      if (node !== undefined && !ID_PATTERN.test(node)) throw new MierukaError('CONFIG_INVALID', `--node ${node}: use a-z, 0-9 and "-"`);
      const site = opts.site ?? config.site;
      const channel = opts.channel ?? (node ? config.machines[node]?.channel : undefined) ?? 0;
      if (opts.trace && opts.dataDir) throw new MierukaError('CONFIG_INVALID', 'give either --trace <file> or --data-dir <dir>, not both');

      if (opts.write && !node) throw new MierukaError('CONFIG_INVALID', '--write needs --node <id>: which machine do the thresholds belong to?');

      const loaded = opts.trace ? readTrace(resolve(ctx.cwd, opts.trace), channel, parseTraceText) : readStore(config, opts, ctx, site, node, channel);
      const report = calibrateThresholds(loaded.samples);
      const production = calibrateProduction(loaded.samples, report, { floorA: (node ? config.machines[node]?.sensor.floorA : undefined) ?? 0.02 });
      // Write first, print after: the report is shown even when the write is refused.
      let written: { file: string; fields: Record<string, number> } | null = null;
      let writeError: unknown = null;
      if (opts.write && node) {
        const file = resolve(ctx.cwd, opts.write);
        try {
          written = { file, fields: writeProposal(file, node, report, production) };
        } catch (err) {
          writeError = err;
        }
      }
      if (opts.json) {
        ctx.print(JSON.stringify({ source: loaded.source, site, node: node ?? null, channel, skipped: loaded.skipped, report, production, written }, null, 2));
      } else {
        for (const line of describeReport(report, production, { source: loaded.source, node, channel, skipped: loaded.skipped })) ctx.print(line);
        if (written) {
          ctx.print('');
          ctx.print(`Updated machines.${node} in ${written.file}: ${Object.entries(written.fields).map(([k, v]) => `${k} ${v}`).join(', ')}`);
        }
      }
      if (writeError) throw writeError;
    });
}

function readTrace(file: string, channel: number, parseTraceText: typeof import('@mieruka/edge').parseTraceText): Loaded {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new MierukaError('CONFIG_UNREADABLE', `cannot read trace ${file}: ${(err as Error).message}`, { cause: err });
  }
  const parsed = parseTraceText(text, { channel });
  return { samples: parsed.samples, source: `${basename(file)} (${parsed.format})`, skipped: parsed.skipped };
}

function readStore(config: Readonly<Config>, opts: CalibrateOptions, ctx: CliContext, site: string, node: string | undefined, channel: number): Loaded {
  if (!node) throw new MierukaError('CONFIG_INVALID', 'which machine? give --node <id> (or --trace <file>)');
  const since = parseSince(opts.since, Date.now());
  const dir = resolve(ctx.cwd, opts.dataDir ?? config.hub.dataDir);
  const file = join(dir, 'mieruka.db');
  if (!existsSync(file)) throw new MierukaError('NOT_FOUND', `no hub database at ${file}: give the hub's --data-dir, or --trace <file>`);
  let db: Database.Database | undefined;
  const samples: AmpsSample[] = [];
  const skipped = { 'no-channel': 0, invalid: 0 };
  try {
    // Read-only: the hub may be running and writing meanwhile (WAL lets us read alongside).
    db = new Database(file, { readonly: true, fileMustExist: true });
    db.pragma('busy_timeout = 5000');
    const rows = db.prepare('SELECT ts, irms FROM readings WHERE site = ? AND node = ? AND ts >= ? ORDER BY ts, seq').iterate(site, node, since) as IterableIterator<{ ts: number; irms: string }>;
    for (const row of rows) {
      let irms: unknown;
      try {
        irms = JSON.parse(row.irms);
      } catch {
        skipped.invalid++;
        continue;
      }
      const amps = Array.isArray(irms) ? irms[channel] : undefined;
      if (typeof amps === 'number') samples.push({ ts: row.ts, amps });
      else skipped['no-channel']++;
    }
  } catch (err) {
    throw new MierukaError('STORE_FAILED', `cannot read readings from ${file}: ${(err as Error).message}`, { cause: err });
  } finally {
    db?.close();
  }
  if (samples.length === 0) throw new MierukaError('NOT_FOUND', `no readings of ${site}/${node} channel ${channel} since ${new Date(since).toISOString()} in ${file}`);
  return { samples, source: `${file} (${site}/${node} since ${new Date(since).toISOString()})`, skipped };
}

/** Sets the proposed fields in machines.<node>, validates the whole file, then replaces it. */
function writeProposal(file: string, node: string, report: CalibrationReport, production: ProductionCalibration): Record<string, number> {
  const p = report.proposal;
  if (p.offBelowA === null && p.runningAboveA === null) {
    throw new MierukaError('CONFIG_INVALID', `nothing to write: the trace gave no threshold (${report.warnings[0] ?? 'no levels found'})`);
  }
  const text = existsSync(file) ? readFileSync(file, 'utf8') : '';
  const doc = parseDocument(text);
  if (doc.errors.length > 0) throw new MierukaError('CONFIG_INVALID', `${file} is not valid YAML: ${doc.errors[0]?.message ?? ''}`);
  if (doc.contents !== null && !isMap(doc.contents)) throw new MierukaError('CONFIG_INVALID', `${file} must be a YAML mapping`);
  const fields: Record<string, number> = {};
  if (p.offBelowA !== null) fields.offBelowA = p.offBelowA;
  if (p.runningAboveA !== null) fields.runningAboveA = p.runningAboveA;
  fields.hysteresisA = p.hysteresisA;
  fields.minDwellS = p.minDwellS;
  if (production.offLevelA !== null) fields['sensor.offLevelA'] = production.offLevelA;
  for (const [key, value] of Object.entries(production.cycles ?? {})) fields[`cycles.${key}`] = value;
  for (const [key, value] of Object.entries(fields)) doc.setIn(['machines', node, ...key.split('.')], value);
  const next = doc.toString();
  try {
    // The file alone must be valid (no environment): it is what the services will read.
    parseConfig({ text: next, source: file, env: {} });
  } catch (err) {
    throw new MierukaError('CONFIG_INVALID', `not written: with these thresholds ${file} would be invalid — ${(err as Error).message}`, { cause: err });
  }
  writeFileAtomicSync(file, next);
  return fields;
}

function fmtA(a: number): string {
  return a < 10 ? a.toFixed(3) : a.toFixed(1);
}

function describeReport(r: CalibrationReport, production: ProductionCalibration, meta: { source: string; node: string | undefined; channel: number; skipped: Record<string, number> }): string[] {
  const out: string[] = [];
  const hours = r.durationS / 3600;
  const span = hours >= 1 ? `${hours.toFixed(1)} h` : `${(r.durationS / 60).toFixed(1)} min`;
  out.push(`Calibration${meta.node ? ` of ${meta.node}` : ''} (channel ${meta.channel}) from ${meta.source}`);
  out.push(`  ${r.used} readings over ${span}${r.intervalS !== null ? `, one every ${r.intervalS} s` : ''}${r.ignored ? `, ${r.ignored} ignored` : ''}`);
  const skipped = Object.entries(meta.skipped).filter(([, n]) => n > 0);
  if (skipped.length > 0) out.push(`  lines skipped: ${skipped.map(([k, n]) => `${n} ${k}`).join(', ')}`);
  out.push('');
  out.push('Levels (amperes RMS):');
  if (r.levels.length === 0) out.push('  none');
  for (const l of r.levels) {
    out.push(
      `  ${l.name.padEnd(8)} ${String(l.count).padStart(7)} readings (${(l.share * 100).toFixed(1).padStart(5)} %)  p5 ${fmtA(l.p5A)}  median ${fmtA(l.p50A)}  p95 ${fmtA(l.p95A)}  range ${fmtA(l.minA)}–${fmtA(l.maxA)}  noise ${l.noiseA}${l.modes > 1 && l.name !== 'off' ? `  (${l.modes} sub-levels)` : ''}`,
    );
  }
  if (r.transient > 0) out.push(`  between levels: ${r.transient} readings (transitions, spikes)`);
  out.push('');
  out.push(`Proposal (confidence: ${r.confidence}):`);
  const p = r.proposal;
  const off = r.boundaries.find((b) => b.lower === 'off');
  const run = r.boundaries.find((b) => b.upper === 'running');
  out.push(`  offBelowA:     ${p.offBelowA ?? '— (not found in this trace)'}${off ? `   in the gap ${fmtA(off.gapA[0])}–${fmtA(off.gapA[1])} A` : ''}`);
  out.push(`  runningAboveA: ${p.runningAboveA ?? '— (not found in this trace)'}${run ? `   in the gap ${fmtA(run.gapA[0])}–${fmtA(run.gapA[1])} A` : ''}`);
  out.push(`  hysteresisA:   ${p.hysteresisA}`);
  out.push(`  minDwellS:     ${p.minDwellS}${r.excursions.shortCount > 0 ? `   (outlasts ${r.excursions.shortCount} short excursions of up to ${r.excursions.longestShortS} s)` : ''}`);
  out.push('');
  out.push('Production (docs/machine-monitor.md#calibration-output):');
  out.push(`  sensor.offLevelA:    ${production.offLevelA ?? '— (not proposed)'}`);
  const c = production.cycles;
  if (c && production.cycleS) {
    out.push(`  cycles.aboveA:       ${c.aboveA}   (${production.cycleCount} cycles in the trace: p10 ${production.cycleS.p10} s, median ${production.cycleS.p50} s, p90 ${production.cycleS.p90} s)`);
    out.push(`  cycles.minS:         ${c.minS}`);
    out.push(`  cycles.minGapS:      ${c.minGapS}`);
    out.push(`  cycles.idealCycleS:  ${c.idealCycleS}   (10th percentile of the cycle times)`);
  } else {
    out.push(`  cycles:              — (no cycles found in this trace${production.cycleCount > 0 ? `: only ${production.cycleCount}` : ''})`);
  }
  const warnings = [...r.warnings, ...production.warnings];
  if (warnings.length > 0) {
    out.push('');
    out.push('Warnings:');
    for (const w of warnings) out.push(`  - ${w}`);
  }
  if (p.offBelowA !== null || p.runningAboveA !== null) {
    out.push('');
    out.push('For the config file:');
    out.push('machines:');
    out.push(`  ${meta.node ?? '<machine-id>'}:`);
    if (p.offBelowA !== null) out.push(`    offBelowA: ${p.offBelowA}`);
    if (p.runningAboveA !== null) out.push(`    runningAboveA: ${p.runningAboveA}`);
    out.push(`    hysteresisA: ${p.hysteresisA}`);
    out.push(`    minDwellS: ${p.minDwellS}`);
    if (production.offLevelA !== null) {
      out.push('    sensor:');
      out.push(`      offLevelA: ${production.offLevelA}`);
    }
    if (c) {
      out.push('    cycles:');
      out.push(`      aboveA: ${c.aboveA}`);
      out.push(`      minS: ${c.minS}`);
      out.push(`      minGapS: ${c.minGapS}`);
      out.push(`      idealCycleS: ${c.idealCycleS}`);
    }
  }
  return out;
}
