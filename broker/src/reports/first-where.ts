/** Binary search over sorted items (the timeline, spans, instants). */

/** Index of the first item for which `after` holds; `after` is false, then true, along the sorted items. */
export function firstWhere<T>(items: readonly T[], after: (item: T) => boolean): number {
  let lo = 0;
  let hi = items.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (after(items[mid]!)) hi = mid;
    else lo = mid + 1;
  }
  return lo;
}
