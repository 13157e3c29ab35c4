import { operationChannel as nodeChannel, type OperationContext } from './channel.js';

/** A message handler of one of the channel's events, as `diagnostics_channel` calls it. */
export type ChannelListener = (message: unknown, name: string | symbol) => void;

/** One event of {@link operationChannel} (`start`, `end`, …): a `diagnostics_channel` `Channel`. */
export interface OperationEventChannel {
  /** Whether anything listens to this event. */
  readonly hasSubscribers: boolean;
  /** Listens to this event. */
  subscribe(listener: ChannelListener): void;
  /** Stops listening. */
  unsubscribe(listener: ChannelListener): void;
  /** Publishes a message to this event's listeners. */
  publish(message: unknown): void;
}

/** Handlers for every event of {@link operationChannel}, as `TracingChannel.subscribe` takes them. */
export interface OperationSubscribers {
  start(message: OperationContext): void;
  end(message: OperationContext): void;
  asyncStart(message: OperationContext): void;
  asyncEnd(message: OperationContext): void;
  error(message: OperationContext): void;
}

/**
 * The `memjs-namespaces:operation` tracing channel, typed here by what subscribers use rather than
 * as Node's `TracingChannel`: the package's declarations must compile without `@types/node`. It is
 * Node's object; `diagnostics_channel.tracingChannel('memjs-namespaces:operation')` is the same.
 */
export interface OperationChannel {
  readonly start: OperationEventChannel;
  readonly end: OperationEventChannel;
  readonly asyncStart: OperationEventChannel;
  readonly asyncEnd: OperationEventChannel;
  readonly error: OperationEventChannel;
  /** Whether any of the events has a listener. */
  readonly hasSubscribers: boolean;
  /** Listens to every event at once. */
  subscribe(subscribers: OperationSubscribers): void;
  /** Stops listening to every event. */
  unsubscribe(subscribers: OperationSubscribers): void;
}

/**
 * The channel every public operation of every cache is published on (see {@link OperationContext}).
 * Every publication is guarded by `hasSubscribers`: with no subscriber, nothing is built or sent.
 */
export const operationChannel: OperationChannel = nodeChannel;
