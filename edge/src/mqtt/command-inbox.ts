/**
 * Commands from the hub on `mieruka/v1/<site>/<node>/cmd/<action>`: checked (size, JSON,
 * schema) and handed to every registered handler. A bad command is counted and dropped, logged
 * at most once a minute; a throwing handler does not stop the others. The MQTT subscription
 * itself stays with the link, which is told when the first handler comes and the last goes.
 */
import type { Logger } from 'pino';
import { CommandPayload, formatZodError, MAX_JSON_PAYLOAD_BYTES, parseTopic } from '@mieruka/protocol';

export type CommandHandler = (action: string, payload: CommandPayload) => void;

export type CommandInboxOptions = {
  site: string;
  node: string;
  logger: Logger;
  now: () => number;
  /** The first handler was added: subscribe. */
  onWanted(): void;
  /** The last handler was removed: unsubscribe. */
  onUnwanted(): void;
};

export class CommandInbox {
  private readonly options: CommandInboxOptions;
  private readonly handlers = new Set<CommandHandler>();
  private lastInvalidLogAt = Number.NEGATIVE_INFINITY;
  readonly counters = { commandsReceived: 0, commandsInvalid: 0 };

  constructor(options: CommandInboxOptions) {
    this.options = options;
  }

  /** Whether anyone listens (then the link subscribes on every connect). */
  get wanted(): boolean {
    return this.handlers.size > 0;
  }

  add(handler: CommandHandler): () => void {
    const first = this.handlers.size === 0;
    this.handlers.add(handler);
    if (first) this.options.onWanted();
    return () => {
      if (this.handlers.delete(handler) && this.handlers.size === 0) this.options.onUnwanted();
    };
  }

  /** A message the link received; anything but this node's commands is ignored. */
  deliver(topic: string, payload: Buffer): void {
    const parsed = parseTopic(topic);
    if (!parsed || parsed.kind !== 'cmd' || parsed.site !== this.options.site || parsed.node !== this.options.node) return;
    this.counters.commandsReceived++;
    let json: unknown;
    try {
      if (payload.length > MAX_JSON_PAYLOAD_BYTES) throw new Error(`payload of ${payload.length} bytes exceeds ${MAX_JSON_PAYLOAD_BYTES}`);
      json = JSON.parse(payload.toString('utf8'));
    } catch (err) {
      this.invalid(parsed.action, (err as Error).message);
      return;
    }
    const result = CommandPayload.safeParse(json);
    if (!result.success) {
      this.invalid(parsed.action, formatZodError(result.error));
      return;
    }
    for (const handler of this.handlers) {
      try {
        handler(parsed.action, result.data);
      } catch (err) {
        this.options.logger.error({ err, action: parsed.action }, 'command handler failed');
      }
    }
  }

  private invalid(action: string, reason: string): void {
    this.counters.commandsInvalid++;
    // At most one line a minute: a misbehaving publisher must not flood the log.
    const now = this.options.now();
    if (now - this.lastInvalidLogAt >= 60_000) {
      this.lastInvalidLogAt = now;
      this.options.logger.warn({ action, reason, invalidSoFar: this.counters.commandsInvalid }, 'invalid command dropped');
    }
  }
}
