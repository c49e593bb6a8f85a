/** Durations in alarm messages, both languages. */
export function formatDuration(ms: number): { ja: string; en: string } {
  if (ms < 60_000) {
    const s = Math.max(0, Math.round(ms / 1000));
    return { ja: `${s}秒`, en: `${s} s` };
  }
  const totalMin = Math.round(ms / 60_000);
  const h = Math.floor(totalMin / 60);
  const m = totalMin % 60;
  if (h === 0) return { ja: `${m}分`, en: `${m} min` };
  return m === 0 ? { ja: `${h}時間`, en: `${h} h` } : { ja: `${h}時間${m}分`, en: `${h} h ${m} min` };
}
