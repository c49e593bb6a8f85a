/**
 * The one source of "what time is it". The composition root picks the clock (the system clock
 * in production, a test's own in tests) and hands it to every service, so a fixture that builds
 * its dates from the clock it gives the system never disagrees with the system about "today".
 */

/** Epoch milliseconds, like Date.now(). */
export type Now = () => number;

export const systemNow: Now = () => Date.now();
