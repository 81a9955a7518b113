/**
 * Keeps the agent connected: opens a transport, hands it to the session, waits for it to end and opens the next
 * after a full-jitter backoff delay (reset once a connection stayed up `minUptimeMs`). With
 * `EDGE_TRANSPORT=websocket` it falls back to the long-poll for that connection only when the upgrade was
 * answered with plain HTTP other than 401/403 (UpgradeRefusedError: a proxy refusing or stripping the upgrade,
 * 426, 404, a gateway's 5xx); a network failure (refused, unreachable, DNS, TLS, timeout) or a refused token is
 * not a reason to try the other transport, and is retried after the delay. The next reconnect tries the
 * socket again. `EDGE_TRANSPORT=poll` never tries the socket.
 */
import type { Backoff } from "./backoff.js";
import { UpgradeRefusedError } from "./transport.js";
import type { Transport, TransportKind } from "./transport.js";
import type { Logger } from "../log.js";

export interface ConnectorOptions {
  mode: TransportKind;
  /** Each opener gives up when `signal` aborts (stop() during a connection attempt). */
  openWebSocket(signal: AbortSignal): Promise<Transport>;
  openPoll(signal: AbortSignal): Promise<Transport>;
  backoff: Backoff;
  /** A connection that lasted at least this long resets the backoff; default 5 s. */
  minUptimeMs?: number;
  log: Logger;
  /** Called with each new connection (hello goes out here); the hub's frames are handed over only after it. */
  onConnected(transport: Transport): Promise<void>;
  onDisconnected(transport: Transport, reason: string): void;
  /** The delay before the next attempt has begun. */
  onReconnecting(delayMs: number): void;
  now?: () => number;
}

export class Connector {
  #stopped = false;
  #wake: () => void = () => {};
  #current: Transport | undefined;
  readonly #abandon = new AbortController();
  #running: Promise<void> | undefined;

  constructor(private readonly options: ConnectorOptions) {}

  /** The live connection, if any. */
  get current(): Transport | undefined {
    return this.#current;
  }

  /** Starts the loop; resolves once stop() has ended it. */
  start(): Promise<void> {
    this.#running ??= this.#loop();
    return this.#running;
  }

  /** No further connection attempts (one under way is abandoned); the live connection is left to the caller. */
  async stop(): Promise<void> {
    this.#stopped = true;
    this.#abandon.abort();
    this.#wake();
  }

  /** Waits for the loop to end (after stop() and the live connection closing). */
  async finished(): Promise<void> {
    await this.#running;
  }

  async #loop(): Promise<void> {
    const now = this.options.now ?? Date.now;
    while (!this.#stopped) {
      let transport: Transport;
      try {
        transport = await this.#open();
      } catch (err) {
        if (this.#stopped) break;
        this.options.log.log("WARN", "connection failed", { error: err });
        await this.#pause();
        continue;
      }
      if (this.#stopped) {
        await transport.close();
        break;
      }
      this.#current = transport;
      const connectedAt = now();
      this.options.log.log("INFO", "connected", { transport: transport.kind });
      try {
        await this.options.onConnected(transport);
      } catch (err) {
        this.options.log.log("WARN", "session start failed on the new connection", { error: err });
      }
      transport.begin();
      const reason = await transport.closed;
      this.#current = undefined;
      this.options.onDisconnected(transport, reason);
      if (this.#stopped) break;
      this.options.log.log("WARN", "disconnected", { reason, transport: transport.kind });
      if (now() - connectedAt >= (this.options.minUptimeMs ?? 5000)) this.options.backoff.reset();
      await this.#pause();
    }
  }

  async #open(): Promise<Transport> {
    const signal = this.#abandon.signal;
    if (this.options.mode === "poll") return this.options.openPoll(signal);
    try {
      return await this.options.openWebSocket(signal);
    } catch (err) {
      if (!(err instanceof UpgradeRefusedError)) throw err;
      this.options.log.log("WARN", "WebSocket upgrade refused; using the long-poll", { status: err.status });
      return this.options.openPoll(signal);
    }
  }

  /** The backoff delay, cut short by stop(). */
  async #pause(): Promise<void> {
    const delayMs = this.options.backoff.next();
    this.options.onReconnecting(delayMs);
    await new Promise<void>((resolve) => {
      const timer = setTimeout(done, delayMs);
      function done(): void {
        clearTimeout(timer);
        resolve();
      }
      this.#wake = done;
    });
    this.#wake = () => {};
  }
}
