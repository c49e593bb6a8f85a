/**
 * Clocks a test hands to the system under test; the test then builds its fixture's dates from
 * the same clock, so the two never disagree about "today", even when a run (under
 * scripts/test-at.sh) starts at 23:50 on the last day of a month and goes on past midnight.
 */
import type { Now } from '@mieruka/protocol';

/** The instant this is called, held still: every "now" of the test and of the system is the same. */
export function stoppedClock(at = Date.now()): Now & { readonly at: number } {
  const now = () => at;
  return Object.assign(now, { at });
}

/** The time zone of the site under test: scripts/test-at.sh --tz sets it (default Asia/Tokyo). */
export function testSiteZone(): string {
  return process.env.SITE_TZ_UNDER_TEST || 'Asia/Tokyo';
}
