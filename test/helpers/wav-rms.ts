/** sox's RMS amplitude of a WAV file: above a small floor means something is heard. */
import { execFileSync } from 'node:child_process';

export function wavRms(file: string): number {
  // sox stat reports on stderr.
  const stat = execFileSync('sh', ['-c', 'sox "$1" -n stat 2>&1', 'sh', file], { encoding: 'utf8' });
  const m = /RMS\s+amplitude:\s+([0-9.]+)/.exec(stat);
  return m ? Number(m[1]) : 0;
}
