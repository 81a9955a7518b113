/**
 * The HTTP long-poll transport, for a device behind a proxy that refuses WebSockets: `POST …/poll?wait=` with
 * `{messages: […]}` (what the socket would have carried) answered `{messages: […]}` (what the hub would have
 * sent). One long poll is always out waiting for the hub's frames; messages the agent sends meanwhile go at
 * once in a short `wait=0s` POST, so a job's chunks are not held back for the rest of a long poll. A message's
 * send() resolves only after the POST carrying it was answered 200. Any failed POST ends the connection.
 */
import { z } from "zod";
import type { DeviceMessage } from "../../../durable-objects/protocol.js";
import { deliverFrame } from "./parse-frame.js";
import { AuthRejectedError, edgeUrl } from "./transport.js";
import type { Transport, TransportOptions } from "./transport.js";

export interface PollTransportOptions extends TransportOptions {
  /** How long the hub may hold a poll with nothing to send; default 20 s (the route allows 25 s). */
  waitSeconds?: number;
  /** Extra time past `wait` before a poll that has not answered is taken for dead; default 15 s. */
  graceMs?: number;
}

/** Messages per POST: the route takes up to 1000, and a few embed chunks are already most of a megabyte. */
const MAX_BATCH = 50;

const answerSchema = z.object({ messages: z.array(z.unknown()) });

interface Pending {
  message: DeviceMessage;
  resolve: () => void;
  reject: (err: Error) => void;
}

class PollFailedError extends Error {
  override readonly name = "PollFailedError";
}

/** Checks the token and the route with one short POST, then starts polling. Rejects like a failed poll would. */
export async function openPoll(options: PollTransportOptions, signal?: AbortSignal): Promise<Transport> {
  const stop = new AbortController();
  const post = createPoster(options, stop.signal);
  // Shutdown during the first POST abandons it at once.
  const onAbort = () => stop.abort();
  signal?.addEventListener("abort", onAbort, { once: true });
  let frames: unknown[];
  try {
    signal?.throwIfAborted();
    frames = await post([], 0);
  } finally {
    signal?.removeEventListener("abort", onAbort);
  }
  return new PollTransport(options, post, stop, frames);
}

type Poster = (messages: DeviceMessage[], waitSeconds: number) => Promise<unknown[]>;

function createPoster(options: PollTransportOptions, stop: AbortSignal): Poster {
  const graceMs = options.graceMs ?? 15_000;
  return async (messages, waitSeconds) => {
    const url = edgeUrl(options.baseUrl, options.deviceId, "poll");
    url.searchParams.set("wait", `${waitSeconds}s`);
    const response = await fetch(url, {
      method: "POST",
      headers: { authorization: `Bearer ${options.token}`, "content-type": "application/json" },
      body: JSON.stringify({ messages }),
      signal: AbortSignal.any([stop, AbortSignal.timeout(waitSeconds * 1000 + graceMs)]),
    });
    const text = await response.text();
    if (response.status === 401 || response.status === 403) throw new AuthRejectedError(response.status);
    if (response.status !== 200)
      throw new PollFailedError(`poll answered HTTP ${response.status}: ${text.slice(0, 300)}`);
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch {
      throw new PollFailedError("poll answer is not JSON");
    }
    const parsed = answerSchema.safeParse(json);
    if (!parsed.success) throw new PollFailedError("poll answer has no messages array");
    return parsed.data.messages;
  };
}

class PollTransport implements Transport {
  readonly kind = "poll";
  readonly closed: Promise<string>;
  #queue: Pending[] = [];
  #flushing = false;
  #open = true;
  #end: (reason: string) => void = () => {};

  constructor(
    private readonly options: PollTransportOptions,
    private readonly post: Poster,
    private readonly stop: AbortController,
    /** The opening POST's frames, then any answered before begin(); undefined once begun. */
    private held: unknown[] | undefined,
  ) {
    this.closed = new Promise((resolve) => {
      this.#end = resolve;
    });
  }

  begin(): void {
    const frames = this.held ?? [];
    this.held = undefined;
    for (const frame of frames) deliverFrame(frame, this.options);
    void this.#longPoll();
  }

  send(message: DeviceMessage): Promise<void> {
    if (!this.#open) return Promise.reject(new Error("the poll connection is closed"));
    return new Promise((resolve, reject) => {
      this.#queue.push({ message, resolve, reject });
      if (!this.#flushing) void this.#flush();
    });
  }

  async close(): Promise<void> {
    this.#fail("closed by the agent");
    await this.closed;
  }

  async #longPoll(): Promise<void> {
    while (this.#open) {
      // The long poll carries nothing: a message in it would wait for the hub's answer, up to `wait`.
      if (!(await this.#exchange(this.options.waitSeconds ?? 20, 0))) return;
    }
  }

  async #flush(): Promise<void> {
    this.#flushing = true;
    try {
      while (this.#open && this.#queue.length > 0) {
        if (!(await this.#exchange(0, MAX_BATCH))) return;
      }
    } finally {
      this.#flushing = false;
    }
  }

  /** One POST carrying up to `take` queued messages; false once the connection has ended. */
  async #exchange(waitSeconds: number, take: number): Promise<boolean> {
    const batch = this.#queue.splice(0, take);
    let frames: unknown[];
    try {
      frames = await this.post(
        batch.map((p) => p.message),
        waitSeconds,
      );
    } catch (err) {
      const reason = err instanceof Error ? err.message : String(err);
      for (const pending of batch) pending.reject(new Error(`poll failed: ${reason}`));
      this.#fail(`poll failed: ${reason}`);
      return false;
    }
    for (const pending of batch) pending.resolve();
    if (this.held) this.held.push(...frames);
    else if (this.#open) for (const frame of frames) deliverFrame(frame, this.options);
    return this.#open;
  }

  #fail(reason: string): void {
    if (!this.#open) return;
    this.#open = false;
    this.stop.abort();
    for (const pending of this.#queue.splice(0)) pending.reject(new Error(`poll connection ended: ${reason}`));
    this.#end(reason);
  }
}
