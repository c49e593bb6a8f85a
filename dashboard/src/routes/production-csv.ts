/**
 * The OEE report as CSV for spreadsheets (GET …/oee.csv): one line per bucket and a total
 * line, JA or EN headers, UTF-8 with BOM like every other export (csv.ts). Ratios are
 * percentages; a figure that cannot be computed is an empty cell and the `missing` column
 * says why — never a 0 that would read as "the machine did nothing".
 */
import type { Response } from 'express';
import type { LocalTime, OeeMissing, OeeReport, OeeRow } from '@mieruka/protocol';
import type { CsvValue } from '../csv.js';
import { sendCsv, type Lang } from './query.js';

const HEADER: Record<Lang, string[]> = {
  ja: [
    'サイト', '機械', '機械名', '期間', 'シフト', '開始', '終了',
    '計画時間(秒)', 'データなし(秒)', '稼働(秒)', '停止(秒)', '計画外稼働(秒)',
    'サイクル数', '良品', '不良', '立上り不良',
    '時間稼働率(%)', '性能稼働率(%)', '良品率(%)', 'OEE(%)',
    '故障(秒)', '段取り(秒)', '理由未入力(秒)', 'その他停止(秒)', 'チョコ停(秒)', '速度低下(秒)', '不良ロス(秒)', '立上りロス(秒)',
    '電力量(kWh)', '待機電力量(kWh)', '電気代(円)', '待機電気代(円)', '算出できない理由',
  ],
  en: [
    'site', 'machine', 'machine name', 'period', 'shift', 'start', 'end',
    'planned (s)', 'no data (s)', 'run (s)', 'stopped (s)', 'unplanned run (s)',
    'cycles', 'good', 'scrap', 'startup scrap',
    'availability (%)', 'performance (%)', 'quality (%)', 'OEE (%)',
    'breakdown (s)', 'setup (s)', 'unexplained (s)', 'other stops (s)', 'minor stops (s)', 'reduced speed (s)', 'defects (s)', 'startup (s)',
    'energy (kWh)', 'idle energy (kWh)', 'cost (yen)', 'idle cost (yen)', 'missing',
  ],
};

const MISSING: Record<Lang, Record<OeeMissing, string>> = {
  ja: { plan: '計画なし', cycles: 'サイクル未設定', ideal_cycle: '基準サイクル時間なし', quality: '良品数未入力', data: 'データなし' },
  en: { plan: 'no plan', cycles: 'no cycles', ideal_cycle: 'no ideal cycle time', quality: 'no quality counts', data: 'no data' },
};
const TOTAL: Record<Lang, string> = { ja: '合計', en: 'total' };

const s3 = (s: number) => Math.round(s * 1000) / 1000;
const pct = (r: number | null) => (r === null ? null : Math.round(r * 1000) / 10);
const kwh = (v: number) => Math.round(v * 1000) / 1000;
const yen = (v: number) => Math.round(v);

function cells(row: Omit<OeeRow, 'label' | 'shift'>, lang: Lang): CsvValue[] {
  const l = row.losses;
  const e = row.energy;
  return [
    s3(row.plannedS), s3(row.noDataS), s3(row.runS), s3(row.stopS), s3(row.unplannedRunS),
    row.cycles, row.good, row.scrap, row.startupScrap,
    pct(row.availability), pct(row.performance), pct(row.quality), pct(row.oee),
    s3(l.breakdownS), s3(l.setupS), s3(l.unexplainedS), s3(l.otherS), s3(l.minorStopS), s3(l.reducedSpeedS), s3(l.defectS), s3(l.startupS),
    kwh(e.kWh), kwh(e.idleKWh), yen(e.costYen), yen(e.idleCostYen),
    row.missing.map((m) => MISSING[lang][m]).join(' / '),
  ];
}

export type OeeCsvTarget = { site: string; node: string; name: string | null; filename: string; clock: LocalTime; lang: Lang };

export function sendOeeCsv(res: Response, report: OeeReport, target: OeeCsvTarget): void {
  const { site, node, name, clock, lang } = target;
  const iso = (t: number) => clock.iso(t);
  const rows: CsvValue[][] = report.rows.map((r) => [site, node, name, r.label, r.shift, iso(r.start), iso(r.end), ...cells(r, lang)]);
  rows.push([site, node, name, TOTAL[lang], null, iso(report.total.start), iso(report.total.end), ...cells(report.total, lang)]);
  sendCsv(res, target.filename, HEADER[lang], rows);
}
