/** Builds the camera a station's config asks for. */
import type { StationConfig } from '@mieruka/protocol';
import { MierukaError } from '@mieruka/protocol';
import type { Camera } from './camera.js';
import { FfmpegCamera } from './ffmpeg-camera.js';
import { RpicamCamera } from './rpicam-camera.js';

export type CameraConfig = StationConfig['camera'];

export function createCamera(cfg: CameraConfig, tools: { ffmpegPath?: string; rpicamPath?: string } = {}): Camera {
  const common = { warmupFrames: cfg.warmupFrames, timeoutMs: cfg.timeoutMs };
  const ff = tools.ffmpegPath === undefined ? {} : { ffmpegPath: tools.ffmpegPath };
  switch (cfg.type) {
    case 'v4l2':
      return new FfmpegCamera({ ...common, ...ff, source: { type: 'v4l2', device: cfg.device ?? '/dev/video0', width: cfg.width, height: cfg.height } });
    case 'http':
    case 'rtsp':
      if (!cfg.url) throw new MierukaError('CONFIG_INVALID', `camera type ${cfg.type} needs camera.url`);
      return new FfmpegCamera({ ...common, ...ff, source: { type: cfg.type, url: cfg.url } });
    case 'file':
      if (!cfg.path) throw new MierukaError('CONFIG_INVALID', 'camera type file needs camera.path (a photo or a folder)');
      return new FfmpegCamera({ ...common, ...ff, source: { type: 'file', path: cfg.path } });
    case 'rpicam':
      return new RpicamCamera({ ...common, width: cfg.width, height: cfg.height, ...(tools.rpicamPath === undefined ? {} : { rpicamPath: tools.rpicamPath }) });
  }
}
