/**
 * Picks the OpenCV backend: native when its addon loads, else WASM; or the one the config
 * asks for (`backend: native | wasm`, where a missing native addon is an error, not a silent
 * fallback). The choice and the reason are returned so the caller logs them at start.
 */
import { MierukaError } from '@mieruka/protocol';
import { BACKEND_PREFERENCES, type BackendPreference, type ClutterBackend } from './backend.js';
import { loadNativeBackend } from './native-backend.js';
import { loadWasmBackend } from './wasm-backend.js';

export interface BackendChoice {
  backend: ClutterBackend;
  /** Why this one, e.g. "auto: native OpenCV 4.6.0 loaded" or "auto: … not installed; using WASM". */
  reason: string;
  /** Why native was not used, when it was tried and failed. */
  nativeError?: string;
}

export function parseBackendPreference(value: string): BackendPreference {
  if ((BACKEND_PREFERENCES as readonly string[]).includes(value)) return value as BackendPreference;
  throw new RangeError(`backend must be one of ${BACKEND_PREFERENCES.join(', ')}, got "${value}"`);
}

export async function selectBackend(preference: BackendPreference = 'auto'): Promise<BackendChoice> {
  if (preference === 'wasm') {
    const backend = await loadWasmBackend();
    return { backend, reason: `configured: WASM OpenCV ${backend.opencvVersion}` };
  }
  let nativeError: string;
  try {
    const backend = await loadNativeBackend();
    return { backend, reason: `${preference === 'native' ? 'configured' : 'auto'}: native OpenCV ${backend.opencvVersion} loaded` };
  } catch (err) {
    nativeError = err instanceof Error ? err.message : String(err);
    if (preference === 'native') {
      throw new MierukaError('DEPENDENCY_MISSING', `backend "native" was requested but is not available: ${nativeError}`, { cause: err });
    }
  }
  const backend = await loadWasmBackend();
  return { backend, reason: `auto: native unavailable (${nativeError}); using WASM OpenCV ${backend.opencvVersion}`, nativeError };
}
