export { rgbToHsvOpenCv, countInRange, inRangeMask, type Hsv } from './hsv.js';
export { decodeRgb, MAX_INPUT_PIXELS, type RgbImage, type DecodeOptions } from './decode-image.js';
export { scoreImage, scoreFromCounts, type ScoreOptions, type ScoreResult } from './score.js';
export { renderAnnotatedJpeg, type AnnotateOptions } from './annotate.js';
export { DemoClutterStation, type DemoClutterStationOptions, type DemoClutterStationStats } from './demo-clutter-station.js';
export { samplePhotosDir, listSamplePhotos } from './sample-photos.js';
