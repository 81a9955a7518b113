#!/usr/bin/env node
/**
 * edge-agent entry, run as compiled JavaScript (`dist/main.js`, the package's bin) on plain Node 20. For now it
 * validates its configuration and says what it would connect to; a bad value exits 2 naming the variable. The
 * EdgeHub connection and the wiring of GPIO, telemetry and Ollama forwarding arrive with the edge-agent issue.
 */
import process from "node:process";
import { loadConfig } from "./config.js";

try {
  const config = loadConfig(process.env);
  console.log(
    JSON.stringify({
      level: "INFO",
      component: "edge-agent",
      message: "configured",
      device: config.EDGE_DEVICE_ID,
      botplane: config.BOTPLANE_URL,
      transport: config.EDGE_TRANSPORT,
      gpio: config.ENABLE_GPIO_INTEGRATION ? config.GPIO_BACKEND : "disabled",
    }),
  );
  console.log(
    JSON.stringify({ level: "WARN", component: "edge-agent", message: "EdgeHub connection not built yet; exiting" }),
  );
} catch (err) {
  console.error(err instanceof Error ? err.message : String(err));
  process.exitCode = 2;
}
