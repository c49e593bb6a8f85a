/** A camera in memory for tests: hands out queued photos or failures, then repeats the last photo. */
import { MierukaError } from '@mieruka/protocol';
import type { Camera } from './camera.js';

export class FakeCamera implements Camera {
  readonly description = 'fake camera';
  captures = 0;
  private readonly queue: Array<Buffer | Error> = [];
  private last: Buffer | null;
  /** Called at each capture (e.g. to check the light is on while shooting). */
  onCapture: (() => void) | null = null;

  constructor(photo: Buffer | null = null) {
    this.last = photo;
  }

  /** Queue a photo, or an error for one capture. */
  push(next: Buffer | Error): void {
    this.queue.push(next);
  }

  /** The next capture fails like an unplugged camera. */
  failNext(message = 'fake camera unplugged'): void {
    this.queue.push(new MierukaError('CAMERA_UNAVAILABLE', message));
  }

  async capture(): Promise<Buffer> {
    this.captures++;
    this.onCapture?.();
    const next = this.queue.shift();
    if (next instanceof Error) throw next;
    if (next) this.last = next;
    if (!this.last) throw new MierukaError('CAMERA_UNAVAILABLE', 'fake camera has no photo');
    return this.last;
  }

  close(): void {}
}
