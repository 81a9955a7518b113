/**
 * The hub protocol on the device (durable-objects/protocol.ts): `hello` on every new connection, then the
 * buffered telemetry; `job` frames acked by seq and run by the JobRunner; `cancel` aborting one; `command`
 * frames run at most once per id through the ledger-backed dispatcher and answered with `command_result` (again
 * on every resend); the hub-only `alert.set` fed to the LEDs. Frames are answered on whichever connection is
 * live; with none, an answer is dropped and the hub's resend after the reconnect gets it again.
 */
import { alertArgsSchema } from "../../../durable-objects/protocol.js";
import type { CommandMessage, DeviceMessage, HubMessage } from "../../../durable-objects/protocol.js";
import { CommandDispatcher } from "../commands/dispatcher.js";
import type { CommandExecutors } from "../commands/dispatcher.js";
import type { CommandLedger } from "../commands/ledger.js";
import type { LedController } from "../gpio/leds.js";
import type { Logger } from "../log.js";
import type { Transport } from "../connection/transport.js";
import { JobRunner } from "./jobs.js";
import type { TelemetrySync } from "./telemetry-sync.js";

export interface SessionOptions {
  deviceId: string;
  agentVersion: string;
  ollamaUrl: string;
  /** GPIO, telemetry and Ollama for the commands; `agent.restart` is the session's own. */
  executors: Omit<CommandExecutors, "scheduleRestart">;
  ledger: CommandLedger;
  leds: LedController;
  log: Logger;
  now?: () => number;
}

export class EdgeSession {
  readonly jobs: JobRunner;
  readonly #dispatcher: CommandDispatcher;
  #transport: Transport | undefined;
  #telemetry: TelemetrySync | undefined;
  #alertSeq = 0;
  #restart: (() => void) | undefined;
  #restartPending = false;
  readonly #pending = new Set<Promise<unknown>>();

  constructor(private readonly options: SessionOptions) {
    this.jobs = new JobRunner({ ollamaUrl: options.ollamaUrl, send: (m) => this.send(m), log: options.log });
    this.#dispatcher = new CommandDispatcher(options.ledger, {
      ...options.executors,
      scheduleRestart: async () => this.requestRestart(),
    });
  }

  /** Set once by the agent: the sync flushed after each hello. */
  useTelemetry(telemetry: TelemetrySync): void {
    this.#telemetry = telemetry;
  }

  /** Called after an `agent.restart` command's result went out (or could not). */
  onRestart(restart: () => void): void {
    this.#restart = restart;
  }

  /** A new connection: hello first, then whatever telemetry waited for it. */
  async attach(transport: Transport): Promise<void> {
    this.#transport = transport;
    await transport.send({ type: "hello", device_id: this.options.deviceId, agent_version: this.options.agentVersion });
    this.#track(this.#telemetry?.flush());
  }

  detach(transport: Transport): void {
    if (this.#transport === transport) this.#transport = undefined;
  }

  get connected(): boolean {
    return this.#transport !== undefined;
  }

  /** Sends on the live connection; false (and logged) when there is none or the send failed. */
  async send(message: DeviceMessage): Promise<boolean> {
    const transport = this.#transport;
    if (transport === undefined) {
      this.options.log.log("DEBUG", "not connected; message dropped", { type: message.type });
      return false;
    }
    try {
      await transport.send(message);
      return true;
    } catch (err) {
      this.options.log.log("DEBUG", "send failed", { type: message.type, error: err });
      return false;
    }
  }

  /** One frame from the hub. Work it starts is tracked so idle() can wait for it. */
  handle(frame: HubMessage): void {
    switch (frame.type) {
      case "job":
        this.#track(
          this.send({ type: "ack", seq: frame.seq }).then(() => {
            this.jobs.start(frame);
          }),
        );
        return;
      case "cancel":
        this.jobs.cancel(frame.job_id, frame.reason ?? "cancelled by the hub");
        return;
      case "error":
        this.options.log.log("WARN", "the hub refused a message", {
          code: frame.error.code,
          error: frame.error.message,
        });
        return;
      case "command":
        this.#track(this.#command(frame));
        return;
    }
  }

  /** Resolves once the frames handled so far have been answered (tests, shutdown). */
  async idle(): Promise<void> {
    while (this.#pending.size > 0) await Promise.allSettled([...this.#pending]);
  }

  async #command(frame: CommandMessage): Promise<void> {
    if (frame.name === "alert.set") {
      await this.#alert(frame);
      return;
    }
    const now = this.options.now ?? Date.now;
    if (this.options.ledger.get(frame.id) === undefined && Date.parse(frame.expires_at) < now()) {
      // Not started after its expiry (the hub marks it expired); nothing is recorded, nothing runs.
      await this.send({
        type: "command_result",
        id: frame.id,
        status: "rejected",
        error: `expired: ${frame.expires_at}`,
      });
      return;
    }
    const ack = await this.#dispatcher.dispatch(frame);
    const result: DeviceMessage =
      ack.status === "succeeded"
        ? { type: "command_result", id: ack.id, status: "succeeded", result: ack.result }
        : {
            type: "command_result",
            id: ack.id,
            status: ack.status,
            error: `${ack.error.code}: ${ack.error.message}`.slice(0, 2000),
          };
    this.options.log.log("INFO", "command answered", { id: frame.id, name: frame.name, status: ack.status });
    await this.send(result);
    if (frame.name === "agent.restart" && this.#restartPending) {
      this.#restartPending = false;
      this.#restart?.();
    }
  }

  /**
   * The `agent.restart` executor: the restart happens once that command's result has gone out. A resend after
   * the restart is answered from the ledger without calling this, so it does not restart again.
   */
  requestRestart(): void {
    this.#restartPending = true;
  }

  async #alert(frame: CommandMessage): Promise<void> {
    const args = alertArgsSchema.safeParse(frame.args);
    if (!args.success) {
      await this.send({
        type: "command_result",
        id: frame.id,
        status: "rejected",
        error: `invalid_args: ${args.error.issues.map((i) => `${i.path.join(".") || "args"}: ${i.message}`).join("; ")}`,
      });
      return;
    }
    // Idempotent, so not in the ledger; only a newer alert.set than the last one applied may change the LED.
    if (frame.seq > this.#alertSeq) {
      this.#alertSeq = frame.seq;
      await this.options.leds.dispatch({ type: "alert", alert: args.data.alert, active: args.data.active });
    }
    await this.send({ type: "command_result", id: frame.id, status: "succeeded", result: args.data });
  }

  #track(work: Promise<unknown> | undefined): void {
    if (work === undefined) return;
    const tracked = work.catch((err: unknown) =>
      this.options.log.log("ERROR", "handling a frame failed", { error: err }),
    );
    this.#pending.add(tracked);
    void tracked.finally(() => this.#pending.delete(tracked));
  }
}
