/**
 * Colours of clutter scores (0–100, higher = more cluttered): greens, ambers, reds with the
 * same 30/60 bounds as the overview tile's score colours.
 */
export const SCORE_STEPS: Array<{ upTo: number; color: string; label: string }> = [
  { upTo: 15, color: '#bbf7d0', label: '0–14' },
  { upTo: 30, color: '#4ade80', label: '15–29' },
  { upTo: 45, color: '#fde68a', label: '30–44' },
  { upTo: 60, color: '#f59e0b', label: '45–59' },
  { upTo: 80, color: '#f87171', label: '60–79' },
  { upTo: Infinity, color: '#b91c1c', label: '80–100' },
];

export function scoreColor(score: number): string {
  return (SCORE_STEPS.find((s) => score < s.upTo) ?? SCORE_STEPS[SCORE_STEPS.length - 1]!).color;
}

export function scoreClass(score: number): string {
  if (score < 30) return 'score-low';
  if (score < 60) return 'score-mid';
  return 'score-high';
}
