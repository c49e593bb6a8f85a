/**
 * What a current agent (edge) reads from: a stream of serial protocol messages, whatever carries
 * them: the contract between edge and firmware-bridge. Implemented by SerialLineReader (a real port or pty) and InProcessSerialLink (a
 * simulator in the same process, for the demo without socat); both decode with the same
 * SerialLineDecoder, so they behave identically.
 */
import type { EventEmitter } from 'node:events';
import type { HostCommand, SerialMessage, SkipReason } from './serial-line.js';

/** A line the decoder skipped, and why. */
export type SerialSkip = { reason: SkipReason; detail: string };

export type SerialStatus = { open: true; path: string } | { open: false; path: string | null; error: string };

export type SerialSourceEvents = {
  message: [SerialMessage];
  skip: [SerialSkip];
  /** The port was (re)opened; the argument is its path. */
  open: [string];
  /** Open/closed transitions and changes of the error while closed. */
  status: [SerialStatus];
};

export interface SerialSourceStats {
  open: boolean;
  path: string | null;
  /** Successful re-opens after the first open. */
  reconnects: number;
  bytes: number;
  lines: number;
  messages: number;
  byType: Record<SerialMessage['type'], number>;
  skipped: Record<SkipReason, number>;
  /** Last reason the port could not be used, while it is closed. */
  lastError: string | null;
}

export interface SerialMessageSource extends EventEmitter<SerialSourceEvents> {
  /** Starts reading; never rejects because the device is missing (it keeps retrying). */
  start(): Promise<void>;
  stop(): Promise<void>;
  /** Sends a host command; rejects while the port is closed. */
  write(command: HostCommand): Promise<void>;
  stats(): SerialSourceStats;
}
