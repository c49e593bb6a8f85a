/** The camera check through the station's camera code: a photo file delivers (ffmpeg), a missing device fails. */
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { FakeCamera } from '@mieruka/edge';
import { doctorContext, neverAborted } from '../test-support/doctor-context.js';
import { cameraCheck } from './camera-check.js';

const PHOTO = fileURLToPath(new URL('../../../test/fixtures/clutter/greenish-20.jpg', import.meta.url));

describe('camera check', () => {
  it('is ok when the configured camera delivers a JPEG frame', async () => {
    const out = await cameraCheck.run(doctorContext({ stations: { 'bench-1': { camera: { type: 'file', path: PHOTO } } } }), neverAborted);
    expect(out.status).toBe('ok');
    expect(out.message.en).toMatch(/^bench-1: .* delivered a frame \(\d+ KB\)$/);
  });

  it('fails with the camera\'s error when no frame comes (missing photo)', async () => {
    const out = await cameraCheck.run(doctorContext({ stations: { 'bench-1': { camera: { type: 'file', path: '/nonexistent/mieruka/photo.jpg' } } } }), neverAborted);
    expect(out.status).toBe('fail');
    expect(out.message.en).toContain('bench-1:');
    expect(out.fix?.en).toContain('mieruka station --station bench-1 --once');
  });

  it('fails when an unplugged camera (fake device) rejects the capture', async () => {
    const camera = new FakeCamera();
    camera.failNext('fake camera unplugged');
    const out = await cameraCheck.run(doctorContext({ stations: { 'bench-1': {} } }, { createCamera: () => camera }), neverAborted);
    expect(out).toMatchObject({ status: 'fail', message: { en: 'bench-1: fake camera: fake camera unplugged' } });
  });

  it('checks every station and fails when one of them fails, naming each', async () => {
    const out = await cameraCheck.run(
      doctorContext({ stations: { 'bench-1': { camera: { type: 'file', path: PHOTO } }, 'bench-2': { camera: { type: 'file', path: '/nonexistent/mieruka/photo.jpg' } } } }),
      neverAborted,
    );
    expect(out.status).toBe('fail');
    expect(out.message.en).toMatch(/^bench-1: .* delivered a frame .*; bench-2: /);
    expect(out.fix?.en).toContain('--station bench-2');
    expect(out.fix?.en).not.toContain('--station bench-1');
  });

  it('skips without stations', async () => {
    expect((await cameraCheck.run(doctorContext({}), neverAborted)).status).toBe('skip');
  });
});
