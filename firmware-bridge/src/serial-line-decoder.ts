/**
 * Bytes → lines → protocol messages, shared by every serial source (real port, pty, in-process
 * simulator) so they behave identically. Lines are split by @serialport/parser-readline; a
 * guard in front of it bounds memory when a sender never sends a newline (ReadlineParser
 * would otherwise buffer forever).
 */
import { ReadlineParser } from '@serialport/parser-readline';
import { MAX_SERIAL_LINE_LENGTH, parseSerialLine, type SerialMessage, type SerialSkip, type SkipReason } from '@mieruka/protocol';

export type { SerialSkip };

/** Bytes buffered without a newline before the partial line is dropped as too long. */
export const MAX_BUFFERED_LINE_BYTES = MAX_SERIAL_LINE_LENGTH * 4;

export const SKIP_REASONS: readonly SkipReason[] = ['empty', 'too-long', 'binary', 'not-json', 'not-object', 'unknown-type', 'invalid'];

/** Counters every serial source keeps (cumulative over reconnects). */
export class SerialCounters {
  bytes = 0;
  lines = 0;
  messages = 0;
  readonly byType: Record<SerialMessage['type'], number> = { hello: 0, rms: 0, ack: 0 };
  readonly skipped: Record<SkipReason, number> = Object.fromEntries(SKIP_REASONS.map((r) => [r, 0])) as Record<SkipReason, number>;

  snapshot(): { bytes: number; lines: number; messages: number; byType: Record<SerialMessage['type'], number>; skipped: Record<SkipReason, number> } {
    return { bytes: this.bytes, lines: this.lines, messages: this.messages, byType: { ...this.byType }, skipped: { ...this.skipped } };
  }
}

export interface SerialLineDecoderHandlers {
  message(message: SerialMessage): void;
  skip(skip: SerialSkip): void;
}

/** One decoder per opened connection, so a partial line never joins bytes of the next one. */
export class SerialLineDecoder {
  /**
   * latin1: one char per byte, no decoder state carried from one line to the next (a UTF-8
   * decoder would let noise ending in a lead byte eat the start of the next, valid line);
   * each line is decoded as UTF-8 on its own in onLine.
   */
  private readonly parser = new ReadlineParser({ delimiter: '\n', encoding: 'latin1' });
  private readonly maxBufferedBytes: number;
  /** Bytes handed to the parser since the last newline. */
  private pending = 0;
  /** Dropping the rest of an overlong line up to its newline. */
  private discarding = false;
  private ended = false;

  constructor(
    private readonly counters: SerialCounters,
    private readonly handlers: SerialLineDecoderHandlers,
    options: { maxBufferedBytes?: number } = {},
  ) {
    this.maxBufferedBytes = options.maxBufferedBytes ?? MAX_BUFFERED_LINE_BYTES;
    this.parser.on('data', (line: string) => this.onLine(line));
  }

  write(chunk: Buffer | string): void {
    if (this.ended) return;
    const buf = typeof chunk === 'string' ? Buffer.from(chunk, 'utf8') : chunk;
    this.counters.bytes += buf.length;
    let start = 0;
    while (start < buf.length) {
      const nl = buf.indexOf(0x0a, start);
      const end = nl === -1 ? buf.length : nl + 1;
      const contentLength = (nl === -1 ? end : nl) - start;
      if (this.discarding) {
        if (nl !== -1) this.discarding = false;
      } else if (this.pending + contentLength > this.maxBufferedBytes) {
        // Drop what the parser holds and the rest of this line; count it once.
        this.parser.buffer = Buffer.alloc(0);
        this.pending = 0;
        this.discarding = nl === -1;
        this.counters.lines++;
        this.skip({ reason: 'too-long', detail: `no newline within ${this.maxBufferedBytes} bytes` });
      } else if (nl !== -1 && contentLength === 0 && this.pending === 0) {
        // An empty line: ReadlineParser emits nothing for it, but it is a line to count (as
        // skipped, 'empty'). The parser holds nothing now and delivers synchronously, so the
        // order of lines is kept.
        this.onLine('');
      } else {
        this.parser.write(buf.subarray(start, end));
        this.pending = nl === -1 ? this.pending + contentLength : 0;
      }
      start = end;
    }
  }

  /** Stops decoding; a partial last line is discarded (it was cut by the disconnect). */
  end(): void {
    this.ended = true;
    this.parser.removeAllListeners('data');
    this.parser.buffer = Buffer.alloc(0);
    this.parser.destroy();
  }

  private onLine(latin1: string): void {
    if (this.ended) return;
    this.counters.lines++;
    const result = parseSerialLine(Buffer.from(latin1, 'latin1').toString('utf8'));
    if (result.ok) {
      this.counters.messages++;
      this.counters.byType[result.message.type]++;
      this.handlers.message(result.message);
    } else {
      this.skip({ reason: result.reason, detail: result.detail });
    }
  }

  private skip(skip: SerialSkip): void {
    this.counters.skipped[skip.reason]++;
    this.handlers.skip(skip);
  }
}
