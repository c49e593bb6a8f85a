/**
 * Canvas cannot read CSS variables: charts take the colours of styles.css (--running, --muted …)
 * from the computed style, so state colours stay the overview's.
 */
const FALLBACK: Record<string, string> = { '--muted': '#6b7280', '--line': '#e5e7eb', '--ink': '#111827', '--running': '#16a34a', '--accent': '#1d4ed8' };

export function cssColor(name: string): string {
  const value = getComputedStyle(document.documentElement).getPropertyValue(name).trim();
  return value || FALLBACK[name] || '#888888';
}

/** `#rrggbb` with an alpha (0–1), for band fills. */
export function withAlpha(hex: string, alpha: number): string {
  const m = /^#([0-9a-f]{6})$/i.exec(hex);
  if (!m) return hex;
  return `#${m[1]}${Math.round(alpha * 255).toString(16).padStart(2, '0')}`;
}
