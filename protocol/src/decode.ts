/**
 * Decoding of received MQTT messages against the contract: topic → kind → schema.
 * Pure: the hub decides what to count and log.
 */
import type { ZodError } from 'zod';
import { MAX_IMAGE_BYTES, MAX_JSON_PAYLOAD_BYTES, payloadSchemas, type JsonKind, type PayloadOf } from './payloads.js';
import { parseTopic, type Kind } from './topics.js';

export type DecodedMessage =
  | { [K in JsonKind]: { site: string; node: string; kind: K; payload: PayloadOf<K> } }[JsonKind]
  | { site: string; node: string; kind: 'image'; payload: Buffer };

export type DecodeFailure = {
  ok: false;
  reason: 'topic' | 'too-large' | 'not-json' | 'schema' | 'not-jpeg';
  message: string;
  site?: string;
  node?: string;
  kind?: Kind | 'cmd';
};

export type DecodeResult = { ok: true; message: DecodedMessage } | DecodeFailure;

export function formatZodError(error: ZodError): string {
  return error.issues
    .slice(0, 5)
    .map((i) => `${i.path.length ? i.path.join('.') : '(root)'}: ${i.message}`)
    .join('; ');
}

/** JPEG starts with SOI (FF D8) followed by a marker (FF). */
export function looksLikeJpeg(buf: Uint8Array): boolean {
  return buf.length >= 4 && buf[0] === 0xff && buf[1] === 0xd8 && buf[2] === 0xff;
}

export function decodeMessage(topic: string, payload: Uint8Array): DecodeResult {
  const parsed = parseTopic(topic);
  if (!parsed) return { ok: false, reason: 'topic', message: `not a v1 topic: ${topic.slice(0, 200)}` };
  const { site, node, kind } = parsed;
  const where = { site, node, kind };
  if (kind === 'cmd') return { ok: false, reason: 'topic', message: 'commands are not ingested', ...where };
  if (kind === 'image') {
    if (payload.length > MAX_IMAGE_BYTES) {
      return { ok: false, reason: 'too-large', message: `image of ${payload.length} bytes exceeds ${MAX_IMAGE_BYTES}`, ...where };
    }
    if (!looksLikeJpeg(payload)) return { ok: false, reason: 'not-jpeg', message: 'image payload is not a JPEG', ...where };
    return { ok: true, message: { site, node, kind: 'image', payload: Buffer.from(payload) } };
  }
  if (payload.length > MAX_JSON_PAYLOAD_BYTES) {
    return { ok: false, reason: 'too-large', message: `payload of ${payload.length} bytes exceeds ${MAX_JSON_PAYLOAD_BYTES}`, ...where };
  }
  let json: unknown;
  try {
    // A view, not a copy: aedes hands over a Buffer already.
    json = JSON.parse((Buffer.isBuffer(payload) ? payload : Buffer.from(payload.buffer, payload.byteOffset, payload.byteLength)).toString('utf8'));
  } catch (err) {
    return { ok: false, reason: 'not-json', message: `not JSON: ${(err as Error).message}`, ...where };
  }
  const result = payloadSchemas[kind].safeParse(json);
  if (!result.success) return { ok: false, reason: 'schema', message: formatZodError(result.error), ...where };
  return { ok: true, message: { site, node, kind, payload: result.data } as DecodedMessage };
}

/** Encodes a payload for publishing, validating it first so agents never send what the hub drops. */
export function encodePayload<K extends JsonKind>(kind: K, payload: PayloadOf<K>): Buffer {
  const result = payloadSchemas[kind].safeParse(payload);
  if (!result.success) throw new TypeError(`invalid ${kind} payload: ${formatZodError(result.error)}`);
  return Buffer.from(JSON.stringify(result.data));
}
