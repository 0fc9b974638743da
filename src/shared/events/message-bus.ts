import { EventEmitter } from 'node:events';
import { Logger } from '@nestjs/common';
import type { RedisConnections } from '../redis/redis.module';

export type BusHandler = (payload: unknown) => void;

/**
 * Fan-out of small JSON messages to every instance (Redis pub/sub), or within this process when
 * Redis is not configured. Delivery is best effort: durable facts live in PostgreSQL, the bus
 * only tells other instances to look or to drop a cache.
 */
export interface BusMessage {
  channel: string;
  payload: unknown;
}

export abstract class MessageBus {
  abstract publish(channel: string, payload: unknown): Promise<void>;
  /** Publishes in order, in one round trip where the transport allows; rejects if any fails. */
  abstract publishMany(messages: BusMessage[]): Promise<void>;
  /** Returns a function that unsubscribes. */
  abstract subscribe(channel: string, handler: BusHandler): () => void;
}

export class InProcessMessageBus extends MessageBus {
  private readonly emitter = new EventEmitter().setMaxListeners(0);

  async publish(channel: string, payload: unknown): Promise<void> {
    // Asynchronous like Redis, so that publishers never run subscribers inside their own call.
    const copy = JSON.parse(JSON.stringify(payload)) as unknown;
    setImmediate(() => this.emitter.emit(channel, copy));
  }

  async publishMany(messages: BusMessage[]): Promise<void> {
    for (const message of messages) await this.publish(message.channel, message.payload);
  }

  subscribe(channel: string, handler: BusHandler): () => void {
    this.emitter.on(channel, handler);
    return () => this.emitter.off(channel, handler);
  }
}

export class RedisMessageBus extends MessageBus {
  private readonly logger = new Logger('MessageBus');
  private readonly local = new EventEmitter().setMaxListeners(0);
  private readonly counts = new Map<string, number>();
  private listening = false;

  constructor(
    private readonly redis: RedisConnections,
    private readonly prefix: string,
  ) {
    super();
  }

  async publish(channel: string, payload: unknown): Promise<void> {
    await this.redis.commands!.publish(this.prefix + channel, JSON.stringify(payload));
  }

  async publishMany(messages: BusMessage[]): Promise<void> {
    if (messages.length === 0) return;
    const pipeline = this.redis.commands!.pipeline();
    for (const message of messages)
      pipeline.publish(this.prefix + message.channel, JSON.stringify(message.payload));
    const results = (await pipeline.exec()) ?? [];
    const failed = results.find(([error]) => error);
    if (failed) throw failed[0] as Error;
  }

  subscribe(channel: string, handler: BusHandler): () => void {
    const subscriber = this.redis.subscriber();
    if (!this.listening) {
      this.listening = true;
      subscriber.on('message', (fullChannel: string, message: string) => {
        let payload: unknown;
        try {
          payload = JSON.parse(message);
        } catch {
          this.logger.warn({ channel: fullChannel }, 'dropped a message that is not JSON');
          return;
        }
        this.local.emit(fullChannel.slice(this.prefix.length), payload);
      });
    }
    const count = (this.counts.get(channel) ?? 0) + 1;
    this.counts.set(channel, count);
    if (count === 1) {
      subscriber.subscribe(this.prefix + channel).catch((err: Error) => {
        this.logger.warn({ err: err.message, channel }, 'subscribe failed');
      });
    }
    this.local.on(channel, handler);
    return () => {
      this.local.off(channel, handler);
      const left = (this.counts.get(channel) ?? 1) - 1;
      this.counts.set(channel, left);
      if (left === 0) void subscriber.unsubscribe(this.prefix + channel).catch(() => undefined);
    };
  }
}
