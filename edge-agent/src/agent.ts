/**
 * The agent assembled from its configuration: GPIO backend and LEDs, the command ledger and telemetry buffer
 * in the state directory, the session speaking the hub protocol, the connector keeping a transport up, and the
 * telemetry timer. Owns the clean shutdown: no more reconnects, running jobs cancelled upstream (their `error`
 * frames sent while the connection is up), the connection closed (1000), LEDs off, files closed.
 */
import { join } from "node:path";
import type { CommandExecutors } from "./commands/dispatcher.js";
import { CommandLedger } from "./commands/ledger.js";
import type { EdgeAgentConfig } from "./config.js";
import { Backoff } from "./connection/backoff.js";
import type { BackoffOptions } from "./connection/backoff.js";
import { Connector } from "./connection/connector.js";
import { openPoll } from "./connection/poll-transport.js";
import type { TransportOptions } from "./connection/transport.js";
import { openWebSocket } from "./connection/websocket-transport.js";
import { GpioError, guardPins } from "./gpio/backend.js";
import type { GpioBackend } from "./gpio/backend.js";
import { createGpioBackend } from "./gpio/create-backend.js";
import { LedController, LedDriver } from "./gpio/leds.js";
import { listModels, loadedModels } from "./llm/ollama-forwarder.js";
import type { Logger } from "./log.js";
import { TelemetryBuffer } from "./outbox/telemetry-buffer.js";
import { createNodeProcessRunner } from "./process-runner.js";
import type { ProcessRunner } from "./process-runner.js";
import { EdgeSession } from "./session/session.js";
import { TelemetrySync } from "./session/telemetry-sync.js";
import { takeReading } from "./telemetry/reading.js";

/** Reported in `hello`; kept in step with package.json's version. */
export const AGENT_VERSION = "0.1.0";

export interface AgentOptions {
  config: EdgeAgentConfig;
  log: Logger;
  runner?: ProcessRunner;
  /**
   * A backend instead of the configured one (tests pass the memory backend to read it back); the allowed-pin
   * guard is put in front of it as in front of any other.
   */
  gpio?: GpioBackend;
  /** "/" on a Pi: /sys and /proc are read beneath it. */
  systemRoot?: string;
  pingIntervalMs?: number;
  pollWaitSeconds?: number;
  backoff?: BackoffOptions;
  /** After an `agent.restart` command's result went out. */
  onRestart?: () => void;
}

export class EdgeAgent {
  #timer: ReturnType<typeof setInterval> | undefined;
  #tick: Promise<void> = Promise.resolve();
  #stopping: Promise<void> | undefined;

  private constructor(
    private readonly options: AgentOptions,
    readonly gpio: GpioBackend,
    readonly leds: LedController,
    readonly ledger: CommandLedger,
    readonly buffer: TelemetryBuffer,
    readonly session: EdgeSession,
    readonly telemetry: TelemetrySync,
    readonly connector: Connector,
  ) {}

  static async create(options: AgentOptions): Promise<EdgeAgent> {
    const { config, log } = options;
    const runner = options.runner ?? createNodeProcessRunner();
    // With GPIO integration off even an injected backend is left alone: no pin is touched at all.
    const gpio =
      options.gpio && config.ENABLE_GPIO_INTEGRATION
        ? guardPins(options.gpio, config.GPIO_ALLOWED_PINS)
        : await createGpioBackend(config, runner);
    const leds = new LedController(
      new LedDriver({
        gpio,
        statusPin: config.STATUS_LED_PIN,
        errorPin: config.ERROR_LED_PIN,
        onError: (err) => log.log("WARN", "LED write failed", { error: err }),
      }),
    );
    const ledger = await CommandLedger.open(join(config.EDGE_STATE_DIR, "command-ledger.jsonl"));
    const buffer = await TelemetryBuffer.open(join(config.EDGE_STATE_DIR, "telemetry-buffer.jsonl"));
    const read = () =>
      takeReading({
        system: config.ENABLE_HARDWARE_MONITORING ? { root: options.systemRoot ?? "/", runner } : null,
        ollamaUrl: config.OLLAMA_URL,
        onError: (what, err) => log.log("DEBUG", "telemetry reader failed", { what, error: err }),
      });

    const executors: Omit<CommandExecutors, "scheduleRestart"> = {
      gpioWrite: async (pin, value) => {
        // The disabled backend accepts writes so the LED driver runs unchanged; a command must hear the truth.
        if (!gpio.enabled)
          throw new GpioError("gpio_disabled", `GPIO integration is disabled; pin ${pin} was not written`);
        await gpio.write(pin, value);
      },
      gpioRead: (pin) => gpio.read(pin),
      readTelemetry: read,
      listModels: async () => ({
        models: await listModels(config.OLLAMA_URL),
        loaded: await loadedModels(config.OLLAMA_URL),
      }),
    };
    const session = new EdgeSession({
      deviceId: config.EDGE_DEVICE_ID,
      agentVersion: AGENT_VERSION,
      ollamaUrl: config.OLLAMA_URL,
      executors,
      ledger,
      leds,
      log,
    });
    const telemetry = new TelemetrySync({
      buffer,
      read,
      send: (m) => session.send(m),
      log,
      onReading: async (data) => {
        if (data.cpu_temp_c !== null) {
          await leds.dispatch({
            type: "temperature",
            celsius: data.cpu_temp_c,
            alertC: config.TEMP_ALERT_C,
            clearC: config.TEMP_CLEAR_C,
          });
        }
        await leds.dispatch({ type: "ollama", reachable: data.ollama.reachable });
      },
    });
    session.useTelemetry(telemetry);
    if (options.onRestart) session.onRestart(options.onRestart);

    const transport: TransportOptions = {
      baseUrl: config.BOTPLANE_URL,
      deviceId: config.EDGE_DEVICE_ID,
      token: config.EDGE_DEVICE_TOKEN,
      onMessage: (frame) => session.handle(frame),
      onInvalid: (text, problem) => log.log("WARN", "invalid frame from the hub", { frame: text, problem }),
    };
    const connector = new Connector({
      mode: config.EDGE_TRANSPORT,
      openWebSocket: (signal) => openWebSocket({ ...transport, pingIntervalMs: options.pingIntervalMs }, signal),
      openPoll: (signal) => openPoll({ ...transport, waitSeconds: options.pollWaitSeconds }, signal),
      backoff: new Backoff(options.backoff ?? { baseMs: 1000, maxMs: 60_000 }),
      log,
      onConnected: async (t) => {
        await session.attach(t);
        await leds.dispatch({ type: "connection", state: "connected" });
      },
      onDisconnected: (t) => session.detach(t),
      onReconnecting: (delayMs) => {
        log.log("INFO", "reconnecting", { delay_ms: delayMs });
        void leds.dispatch({ type: "connection", state: "reconnecting" });
      },
    });
    return new EdgeAgent(options, gpio, leds, ledger, buffer, session, telemetry, connector);
  }

  /** Connects and starts the telemetry timer (first reading at once). */
  start(): void {
    void this.connector.start();
    const tick = () => {
      this.#tick = this.#tick
        .then(() => this.telemetry.tick())
        .catch((err: unknown) => this.options.log.log("WARN", "telemetry reading failed", { error: err }));
    };
    tick();
    this.#timer = setInterval(tick, this.options.config.TELEMETRY_INTERVAL_SECONDS * 1000);
  }

  /** The clean shutdown; safe to call more than once. */
  stop(): Promise<void> {
    this.#stopping ??= this.#stop();
    return this.#stopping;
  }

  async #stop(): Promise<void> {
    const { log } = this.options;
    await this.connector.stop();
    clearInterval(this.#timer);
    await this.#tick;
    await this.session.jobs.cancelAll("agent shutting down");
    await this.session.idle();
    await this.telemetry.flush();
    await this.connector.current?.close();
    await this.connector.finished();
    await this.leds.close();
    await this.gpio.close();
    await this.ledger.close();
    await this.buffer.close();
    log.log("INFO", "stopped", { buffered_readings: this.buffer.size });
  }
}
