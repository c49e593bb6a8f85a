export { Outbox, OUTBOX_DEFAULTS, type OutboxOptions, type OutboxRow, type OutboxStats } from './outbox.js';
export { OutboxForwarder, FORWARD_WINDOW, type ForwardClient, type OutboxForwarderOptions } from './outbox-forwarder.js';
export { GroupAppend, type GroupAppendOptions } from './group-append.js';
