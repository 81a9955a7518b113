#!/usr/bin/env node
// npm start [-- wrangler dev flags, e.g. --port 9000, --persist-to DIR, --var NAME:VALUE]
// Runs botplane locally on its embedded storage: creates .dev.vars if missing, applies the D1 migrations to
// the local database, starts `wrangler dev` (Durable Objects, queues and D1 all local) under Node 22, and
// fires the Cron Trigger every minute, since wrangler dev never fires crons by itself. `--persist-to` goes to
// the migrations as well as to wrangler dev, so both use the same storage (test/e2e starts servers this way).
import { spawn, spawnSync } from "node:child_process";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { ensureDevVars } from "./dev-vars.mjs";
import { node22Path } from "./with-node22.mjs";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const wrangler = join(root, "node_modules", "wrangler", "bin", "wrangler.js");
const node = node22Path();
const extra = process.argv.slice(2);
const portFlag = extra.findIndex((a) => a === "--port" || a.startsWith("--port="));
const port = portFlag === -1 ? 8054 : Number(extra[portFlag].split("=")[1] ?? extra[portFlag + 1]);
const persistFlag = extra.findIndex((a) => a === "--persist-to" || a.startsWith("--persist-to="));
const persistTo =
  persistFlag === -1
    ? undefined
    : extra[persistFlag].includes("=")
      ? extra[persistFlag].slice(extra[persistFlag].indexOf("=") + 1)
      : extra[persistFlag + 1];
const CRON = "* * * * *";

ensureDevVars(root);

const persistArgs = persistTo === undefined ? [] : ["--persist-to", persistTo];
// The operational database and the analytics one (ANALYTICS_DB), each from its own migrations folder.
for (const binding of ["DB", "ANALYTICS_DB"]) {
  const migrate = spawnSync(node, [wrangler, "d1", "migrations", "apply", binding, "--local", ...persistArgs], {
    cwd: root,
    stdio: "inherit",
    env: { ...process.env, CI: "true" },
  });
  if (migrate.status !== 0) process.exit(migrate.status ?? 1);
}

const dev = spawn(node, [wrangler, "dev", "--test-scheduled", ...extra], {
  cwd: root,
  stdio: "inherit",
  // Local runs send nothing home (the machine may have no route out anyway).
  env: { ...process.env, WRANGLER_SEND_METRICS: "false" },
});
for (const signal of ["SIGINT", "SIGTERM"]) process.on(signal, () => dev.kill(signal));

/** Calls the scheduled handler through wrangler's --test-scheduled route, as the Cron Trigger would. */
async function tick() {
  try {
    const res = await fetch(`http://127.0.0.1:${port}/__scheduled?cron=${encodeURIComponent(CRON)}`);
    if (!res.ok) console.error(`cron tick answered ${res.status}`);
  } catch {
    // wrangler dev is still starting or restarting; the next minute tries again.
  }
}

function scheduleNextMinute() {
  const wait = 60_000 - (Date.now() % 60_000);
  return setTimeout(() => {
    // tick() catches its own failures, so the next minute is always scheduled.
    void tick().then(() => {
      timer = scheduleNextMinute();
    });
  }, wait);
}
let timer = scheduleNextMinute();

dev.on("exit", (code, signal) => {
  clearTimeout(timer);
  process.exit(code ?? (signal ? 0 : 1));
});
