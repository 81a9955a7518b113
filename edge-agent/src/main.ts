#!/usr/bin/env node
/**
 * edge-agent entry. This skeleton validates its configuration and says what it would connect to; the
 * EdgeHub connection, GPIO and Ollama forwarding arrive with the edge-agent issue.
 */
import process from "node:process";
import { loadConfig } from "./config.ts";

try {
  const config = loadConfig(process.env);
  console.log(
    JSON.stringify({
      level: "INFO",
      component: "edge-agent",
      message: "configured",
      device: config.EDGE_DEVICE_ID,
      botplane: config.BOTPLANE_URL,
    }),
  );
  console.log(
    JSON.stringify({ level: "WARN", component: "edge-agent", message: "EdgeHub connection not built yet; exiting" }),
  );
} catch (err) {
  console.error(err instanceof Error ? err.message : String(err));
  process.exitCode = 2;
}
