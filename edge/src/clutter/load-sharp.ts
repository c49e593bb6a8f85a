/**
 * sharp (libvips, several MB resident) on first use: importing @mieruka/edge must not load it,
 * since most processes that import the package (the CLI's other commands, a bridge) never
 * touch an image.
 */
import type Sharp from 'sharp';

let loading: Promise<typeof Sharp> | null = null;

export function loadSharp(): Promise<typeof Sharp> {
  loading ??= import('sharp').then((m) => m.default);
  return loading;
}
