/**
 * Starts the real EdgeAgent in-process against the fake hub and fake Ollama: memory GPIO (read back by the
 * tests), a temporary state directory, hardware readings from the Pi 4 fixture tree, and short intervals so
 * reconnects and keep-alives happen within a test.
 */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { EdgeAgent } from "../../edge-agent/src/agent.js";
import { loadConfig } from "../../edge-agent/src/config.js";
import { createMemoryGpio } from "../../edge-agent/src/gpio/memory.js";
import type { MemoryGpio } from "../../edge-agent/src/gpio/memory.js";
import { silentLogger } from "../../edge-agent/src/log.js";
import { createFakeRunner } from "./fake-runner.js";

export const DEVICE_ID = "pi-kitchen";
export const TOKEN = "device-token-for-tests";

export interface Harness {
  agent: EdgeAgent;
  gpio: MemoryGpio;
  stateDir: string;
  /** `agent.restart` commands that reached the process-exit hook. */
  readonly restarts: number;
}

/** A started agent; `stateDir` reuses an earlier agent's files (an agent restart). */
export async function startAgent(options: {
  hubUrl: string;
  ollamaUrl: string;
  env?: Record<string, string>;
  stateDir?: string;
}): Promise<Harness> {
  const stateDir = options.stateDir ?? (await mkdtemp(join(tmpdir(), "edge-agent-state-")));
  const config = loadConfig({
    EDGE_DEVICE_ID: DEVICE_ID,
    EDGE_DEVICE_TOKEN: TOKEN,
    BOTPLANE_URL: options.hubUrl,
    OLLAMA_URL: options.ollamaUrl,
    EDGE_STATE_DIR: stateDir,
    ENABLE_GPIO_INTEGRATION: "true",
    GPIO_BACKEND: "memory",
    GPIO_ALLOWED_PINS: "18,23,24",
    // Readings are taken by hand in the tests, after the one at start.
    TELEMETRY_INTERVAL_SECONDS: "3600",
    ...options.env,
  });
  const gpio = createMemoryGpio();
  let restarts = 0;
  const agent = await EdgeAgent.create({
    config,
    log: silentLogger,
    gpio,
    runner: createFakeRunner({ vcgencmd: { stdout: "throttled=0x50005\n", stderr: "" } }),
    systemRoot: join(import.meta.dirname, "fixtures", "pi4"),
    pingIntervalMs: 100,
    pollWaitSeconds: 1,
    backoff: { baseMs: 10, maxMs: 50, random: () => 0.5 },
    onRestart: () => {
      restarts += 1;
    },
  });
  agent.start();
  return {
    agent,
    gpio,
    stateDir,
    get restarts() {
      return restarts;
    },
  };
}

export async function removeState(stateDir: string): Promise<void> {
  await rm(stateDir, { recursive: true, force: true });
}
