/**
 * Telemetry from reading to hub: each reading gets its id and time, goes into the on-disk TelemetryBuffer
 * first (so a reading never exists only in memory), feeds the LEDs, and is then flushed with everything else
 * pending, oldest first. A sample leaves the buffer only after it went out on a live connection (socket: the
 * write succeeded; poll: the POST carrying it was answered 200); the hub stores each id once, so a sample sent
 * twice around a disconnect is harmless.
 */
import { deviceMessageSchema } from "../../../durable-objects/protocol.js";
import type { TelemetryData } from "../../../durable-objects/protocol.js";
import type { Logger } from "../log.js";
import type { TelemetryBuffer } from "../outbox/telemetry-buffer.js";
import { newSample } from "../telemetry/reading.js";
import type { Send } from "./jobs.js";

export interface TelemetrySyncOptions {
  buffer: TelemetryBuffer;
  read(): Promise<TelemetryData>;
  send: Send;
  /** Each new reading, e.g. for the LEDs. */
  onReading?(data: TelemetryData): Promise<void>;
  log: Logger;
  now?: () => Date;
}

export class TelemetrySync {
  #flushing: Promise<void> | undefined;
  #again = false;

  constructor(private readonly options: TelemetrySyncOptions) {}

  /** Takes one reading, buffers it and flushes. */
  async tick(): Promise<void> {
    const data = await this.options.read();
    const sample = newSample(data, (this.options.now ?? (() => new Date()))());
    await this.options.buffer.append(sample);
    await this.options.onReading?.(data);
    await this.flush();
  }

  /** Sends what the buffer holds, oldest first, until it is empty or a send fails; one flush at a time. */
  flush(): Promise<void> {
    if (this.#flushing) {
      this.#again = true;
      return this.#flushing;
    }
    this.#flushing = this.#drain().finally(() => {
      this.#flushing = undefined;
    });
    return this.#flushing;
  }

  async #drain(): Promise<void> {
    do {
      this.#again = false;
      for (;;) {
        const batch = this.options.buffer.peek(100);
        if (batch.length === 0) break;
        for (const sample of batch) {
          const frame = deviceMessageSchema.safeParse({ ...sample, type: "telemetry" });
          if (!frame.success) {
            // Written by an older agent in a shape the hub no longer takes: it can never be sent.
            this.options.log.log("WARN", "dropping an unsendable buffered reading", { id: sample.id });
            await this.options.buffer.ack([sample.id]);
            continue;
          }
          if (!(await this.options.send(frame.data))) return;
          await this.options.buffer.ack([sample.id]);
        }
      }
    } while (this.#again);
  }
}
