export { rgbToHsvOpenCv, countInRange, inRangeMask, type Hsv } from './hsv.js';
export { decodeRgb, MAX_INPUT_PIXELS, type RgbImage, type DecodeOptions } from './decode-image.js';
export { scoreFromCounts, referenceCount, type ScoreResult } from './score.js';
export { parseRoi, formatRoi, orderCorners, rectifiedSize, checkQuad, quadArea, type Point, type Quad } from './roi.js';
export {
  BACKEND_PREFERENCES,
  MAX_DENOISE,
  type AnalyzeParams,
  type AnalyzeWants,
  type Analysis,
  type BackendName,
  type BackendPreference,
  type ClutterBackend,
  type GrayImage,
  type Outline,
} from './backend.js';
export { loadWasmBackend, WasmBackend } from './wasm-backend.js';
export { loadNativeBackend, NativeBackend } from './native-backend.js';
export { selectBackend, parseBackendPreference, type BackendChoice } from './select-backend.js';
export { ClutterScorer, createClutterScorer, type ClutterScorerOptions, type ClutterShot, type AnnotateShotOptions } from './clutter-scorer.js';
export { renderAnnotated, type AnnotateInput, type AnnotateOptions, type AnnotatedImages } from './annotate.js';
export { calibrateMat, type CalibrateOptions, type CalibrationResult, type ChannelStats } from './calibrate.js';
export { DemoClutterStation, type DemoClutterStationOptions, type DemoClutterStationStats } from './demo-clutter-station.js';
export { samplePhotosDir, listSamplePhotos } from './sample-photos.js';
