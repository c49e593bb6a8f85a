/**
 * Check 4, camera: each configured station's camera delivers a frame, taken through the
 * station's own camera code (createCamera: ffmpeg for v4l2/http/rtsp/file, rpicam-still).
 */
import { dirname, resolve } from 'node:path';
import { combine, fail, ok, reason, skip, text, type Check, type CheckOutcome, type ConfiguredContext } from './check.js';

const isJpeg = (b: Buffer) => b.length > 4 && b[0] === 0xff && b[1] === 0xd8;

async function probeStation(ctx: ConfiguredContext, id: string, signal: AbortSignal): Promise<CheckOutcome> {
  const station = ctx.config.stations[id];
  if (!station) return skip(text(`${id}: not configured`, `${id}: 設定なし`));
  // A relative camera file/folder is relative to the config file, as `mieruka station` reads it.
  const base = ctx.configFile ? dirname(ctx.configFile) : ctx.cwd;
  const cfg = station.camera.path === undefined ? station.camera : { ...station.camera, path: resolve(base, station.camera.path) };
  const create = ctx.createCamera ?? (await import('@mieruka/edge')).createCamera;
  const fix = text(
    `check the camera is plugged in and not used by another program (e.g. ${cfg.type === 'v4l2' ? `v4l2-ctl -d ${cfg.device ?? '/dev/video0'} --all` : 'the URL or path in stations.<id>.camera'}), the user is in the video group, then try mieruka station --station ${id} --once`,
    `カメラの接続と他のプログラムが使っていないことを確認し（例: ${cfg.type === 'v4l2' ? `v4l2-ctl -d ${cfg.device ?? '/dev/video0'} --all` : 'stations.<id>.camera の URL かパス'}）、ユーザーが video グループにいることを確認してから mieruka station --station ${id} --once を試してください`,
  );
  let camera;
  try {
    camera = create(cfg);
  } catch (err) {
    return fail(text(`${id}: ${reason(err)}`, `${id}: ${reason(err)}`), fix);
  }
  const onAbort = () => camera.close();
  signal.addEventListener('abort', onAbort, { once: true });
  try {
    const frame = await camera.capture();
    if (!isJpeg(frame)) return fail(text(`${id}: ${camera.description} returned something that is not a JPEG`, `${id}: ${camera.description} が JPEG ではないデータを返しました`), fix);
    const kb = Math.max(1, Math.round(frame.length / 1024));
    return ok(text(`${id}: ${camera.description} delivered a frame (${kb} KB)`, `${id}: ${camera.description} から画像を取得（${kb} KB）`));
  } catch (err) {
    return fail(text(`${id}: ${camera.description}: ${reason(err)}`, `${id}: ${camera.description}: ${reason(err)}`), fix);
  } finally {
    signal.removeEventListener('abort', onAbort);
    camera.close();
  }
}

export const cameraCheck: Check = {
  id: 'camera',
  title: text('camera', 'カメラ'),
  // Stations are tried one after the other, each within its own camera timeout.
  timeoutMs: (ctx) => Object.values(ctx.config.stations).reduce((sum, s) => sum + s.camera.timeoutMs, 0) + 10_000,
  async run(ctx, signal) {
    const ids = Object.keys(ctx.config.stations);
    if (ids.length === 0) return skip(text('no stations configured', 'stations が設定されていません'));
    const parts: CheckOutcome[] = [];
    for (const id of ids) parts.push(await probeStation(ctx, id, signal));
    return combine(parts);
  },
};
