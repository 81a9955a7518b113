#!/usr/bin/env node
/**
 * edge-agent entry, run as bundled JavaScript (`dist/main.js`, the package's bin) on plain Node 20: reads the
 * configuration (a bad value exits 2 naming the variable), starts the agent and owns the process's life —
 * SIGTERM/SIGINT stop it cleanly and exit 0 (systemd's stop), an `agent.restart` command exits 75 so
 * `Restart=on-failure` starts it again.
 */
import process from "node:process";
import { EdgeAgent } from "./agent.js";
import { loadConfig } from "./config.js";
import type { EdgeAgentConfig } from "./config.js";
import { LOG_LEVELS, createJsonLogger } from "./log.js";

/** EX_TEMPFAIL: not a crash, but non-zero so systemd's Restart=on-failure restarts the agent. */
export const RESTART_EXIT_CODE = 75;

let config: EdgeAgentConfig | undefined;
try {
  config = loadConfig(process.env);
} catch (err) {
  console.error(err instanceof Error ? err.message : String(err));
  process.exitCode = 2;
}

if (config !== undefined) await run(config);

async function run(config: EdgeAgentConfig): Promise<void> {
  const log = createJsonLogger(LOG_LEVELS[config.EDGE_LOG_LEVEL]);
  log.log("INFO", "configured", {
    device: config.EDGE_DEVICE_ID,
    botplane: config.BOTPLANE_URL,
    transport: config.EDGE_TRANSPORT,
    gpio: config.ENABLE_GPIO_INTEGRATION ? config.GPIO_BACKEND : "disabled",
    state_dir: config.EDGE_STATE_DIR,
  });
  let agent: EdgeAgent;
  try {
    agent = await EdgeAgent.create({ config, log, onRestart: () => void shutdown("agent.restart", RESTART_EXIT_CODE) });
  } catch (err) {
    log.log("ERROR", "start-up failed", { error: err });
    process.exitCode = 1;
    return;
  }

  let stopping = false;
  async function shutdown(why: string, code: number): Promise<void> {
    if (stopping) return;
    stopping = true;
    log.log("INFO", "stopping", { why });
    try {
      await agent.stop();
      process.exit(code);
    } catch (err) {
      log.log("ERROR", "shutdown failed", { error: err });
      process.exit(1);
    }
  }
  process.on("SIGTERM", () => void shutdown("SIGTERM", 0));
  process.on("SIGINT", () => void shutdown("SIGINT", 0));
  agent.start();
}
