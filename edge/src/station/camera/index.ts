export type { Camera } from './camera.js';
export { FfmpegCamera, pickPhoto, redactUrl as redactCameraUrl, type CameraSource, type FfmpegCameraOptions } from './ffmpeg-camera.js';
export { RpicamCamera, type RpicamCameraOptions } from './rpicam-camera.js';
export { FakeCamera } from './fake-camera.js';
export { createCamera, type CameraConfig } from './create-camera.js';
