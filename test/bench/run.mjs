// `npm run bench`: botplane's benchmark orchestrator (runs under Node 22 via scripts/with-node22.mjs).
//
// It owns: bundling workers/index.ts with esbuild, deriving the Worker's bindings from wrangler.toml through
// wrangler's `unstable_getMiniflareWorkerOptions`, serving botplane + three floor Workers (static, DO write,
// model pass-through) in ONE standalone Miniflare (workerd) on 127.0.0.1 with throwaway storage, serving the
// fake model upstream (test/bench/fake-upstream.mjs) from this process, applying d1-migrations/*.sql, minting the bench
// JWT, spawning test/bench/load.mjs once per scenario as a second process, verifying the claims
// (no double claim, no claim above skill), and printing/writing the report (test/bench/results/latest.json).
//
// Why this shape (see DESIGN.md, Testing): `wrangler dev` fronts the Worker with a proxy Worker in a second
// workerd process, which dominated latency in earlier measurements, so botplane is measured on workerd
// directly. Each Worker is reached through its own Miniflare "direct socket", which skips Miniflare's entry
// Worker as well (measured here: healthz@50 ~2.5k req/s through the entry Worker vs ~12k direct). Every
// figure is printed beside a floor measured the same way in the same run, so the numbers mean something
// on whatever machine runs them.
//
// Knobs (env): BENCH_DURATION_MS (8000), BENCH_WARMUP_MS (1000), BENCH_ITEMS (40000), BENCH_CLIENT
// (undici|http|fetch), BENCH_MAX_REQUESTS (1000000), BENCH_SAMPLE (200 claims cross-checked by GET),
// BENCH_STORAGE_DIR (parent dir for D1/DO storage; default /dev/shm; `disk` = Miniflare's temp dir),
// BENCH_ONLY (comma list of scenario names, e.g. do-write-floor@50,claims@50,publish-batch@50,publish-latency),
// BENCH_LATENCY_RATE (200 events/s published in the latency scenario), BENCH_LATENCY_MS (5000, after warm-up),
// BENCH_PUBLISH_MS (5000: measured time of each publish throughput scenario), BENCH_QUIET_MS (15000: longest
// wait for workerd to go idle before a bus scenario), BENCH_DRAIN_MS (30000: longest wait, after the last
// publish scenario, for D1 history to hold every accepted event), BENCH_GATEWAY_RATE (100 req/s in the
// open-loop chat scenarios), BENCH_GATEWAY_OPEN_MS (5000), BENCH_GATEWAY_MS (5000: closed-loop chat scenarios),
// BENCH_PROFILE (a scenario name: CPU-profile botplane's isolate during it, see profile.mjs), BENCH_TAIL_MS (8000:
// measured time per target in tail@1/tail@50), BENCH_PORTKEY_DIR (a Portkey-AI/gateway checkout with its
// dependencies: a same-run baseline in the tail scenarios; unset = skipped), BENCH_BUS_PARTITIONS ("1,8":
// EVENT_BUS_PARTITIONS values to rerun publish-latency and publish-single@8 under, workerd restarted each time).
// BENCH_JIMBOT_MS (6000: measured time of jimbot-graph@1, JokerSynergies on 10,000 entities beside /healthz),
// BENCH_INGEST_EVENTS (5000 metrics events published for analytics-ingest, timed until ANALYTICS_DB holds them).
//
// Chat gateway scenarios (chat-bench.mjs): POST /chat turns/s and /ws message → first streamed token, with the
// fake upstream answering at once (streamed when asked).
//
// Model gateway scenarios (gateway-bench.mjs): non-streaming chat through botplane's POST /inference, through
// the pass-through Worker (one fetch) and to the fake upstream directly, at a fixed rate and closed loop.
//
// Bus scenarios: the bench principal's publish rate limit is raised first (PUT /api/v1/config/rate_limits),
// because the default (burst 10/s, 100/hour) would turn a benchmark into a 429 test; the limiter's one
// Durable Object round trip per request stays in the measured path. Each bus scenario starts once workerd
// is idle, so the queue consumer's backlog from the previous one (history writes, stream re-appends) does not
// land in the next one's figures; its own consumer work does, as it would on one machine.

import { spawn } from "node:child_process";
import { randomBytes, randomInt } from "node:crypto";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { builtinModules, createRequire } from "node:module";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import {
  busFailures,
  busPlan,
  busRows,
  busSummary,
  drainCheck,
  raisePublishLimits,
  waitForQuiet,
} from "./bus-bench.mjs";
import {
  EDGE_GATEWAY_TOML,
  EDGE_SCENARIOS,
  edgeFigures,
  edgePlan,
  edgeRows,
  edgeSummary,
  setUpEdge,
} from "./edge-bench.mjs";
import { decisionBackends, decisionFigures, decisionPlan, decisionRows, decisionSummary } from "./decision-bench.mjs";
import { CONSOLE_SCENARIO, consoleBench, printConsoleTable } from "./console-bench.mjs";
import { startFakeUpstream } from "./fake-upstream.mjs";
import { CHAT_GATEWAY_TOML, chatFigures, chatRows, chatSessionPlan, chatSummary, runChatLoad } from "./chat-bench.mjs";
import { CHAINBOT_SCENARIOS, chainbotFailures, chainbotSummary, runChainbot } from "./chainbot-bench.mjs";
import {
  INGEST_SCENARIO,
  JIMBOT_SCENARIOS,
  jimbotFigures,
  jimbotPlan,
  jimbotRows,
  jimbotSummary,
  measureIngest,
  probeGraph,
  seedGraph,
} from "./jimbot-bench.mjs";
import { startProfile, summarizeProfile } from "./profile.mjs";
import {
  configureGateway,
  gatewayFailures,
  gatewayFigures,
  gatewayPlan,
  gatewayRows,
  gatewaySummary,
} from "./gateway-bench.mjs";

const HERE = dirname(fileURLToPath(import.meta.url));
const ROOT = resolve(HERE, "..", "..");
const require = createRequire(join(ROOT, "package.json"));
process.chdir(ROOT); // wrangler resolves wrangler.toml paths (main, migrations_dir) against the cwd

const HOST = "127.0.0.1"; // the only address the bench may load
const SKILLS = ["basic", "tac_enabled", "mcp_augmented", "agentic"];
const SKILL_RANK = Object.fromEntries(SKILLS.map((s, i) => [s, i]));
const CLAIMS_TARGET_PCT = 80;

const env = process.env;
const DURATION_MS = Number(env.BENCH_DURATION_MS ?? 8000);
const WARMUP_MS = Number(env.BENCH_WARMUP_MS ?? 1000);
const ITEMS = Number(env.BENCH_ITEMS ?? 40000);
const CLIENT = env.BENCH_CLIENT ?? "undici";
const MAX_REQUESTS = Number(env.BENCH_MAX_REQUESTS ?? 1_000_000);
const SAMPLE = Number(env.BENCH_SAMPLE ?? 200);
const LATENCY_RATE = Number(env.BENCH_LATENCY_RATE ?? 200);
const LATENCY_MS = Number(env.BENCH_LATENCY_MS ?? 5000);
const QUIET_MS = Number(env.BENCH_QUIET_MS ?? 15000);
const PUBLISH_MS = Number(env.BENCH_PUBLISH_MS ?? 5000);
const DRAIN_MS = Number(env.BENCH_DRAIN_MS ?? 30000);
// 100/s, not 200/s: here botplane's /inference saturates one workerd core near 200-250 req/s, and a rate at
// saturation measures a queue, not the gateway's overhead.
const GATEWAY_RATE = Number(env.BENCH_GATEWAY_RATE ?? 100);
const GATEWAY_OPEN_MS = Number(env.BENCH_GATEWAY_OPEN_MS ?? 5000);
const GATEWAY_MS = Number(env.BENCH_GATEWAY_MS ?? 5000);
// Measured time per target in the interleaved tail scenarios (tail@1, tail@50), in 1 s slices.
const TAIL_MS = Number(env.BENCH_TAIL_MS ?? 8000);
// Measured time per target in the interleaved edge scenarios (edge-commands@1, edge-inference@1), in 1 s slices.
const EDGE_MS = Number(env.BENCH_EDGE_MS ?? 5000);
// Measured time of the knowledge graph scenario (jimbot-graph@1, 1 s slices) and the analytics ingestion's size.
const JIMBOT_MS = Number(env.BENCH_JIMBOT_MS ?? 6000);
const INGEST_EVENTS = Number(env.BENCH_INGEST_EVENTS ?? 5000);
// EVENT_BUS_PARTITIONS values to run publish→subscriber and single-event publish @8 under, side by side
// ("" to skip); each value restarts workerd with the binding overridden, same storage.
const BUS_PARTITIONS = (env.BENCH_BUS_PARTITIONS ?? "1,8")
  .split(",")
  .map((x) => x.trim())
  .filter((x) => x !== "")
  .map(Number)
  .filter((n) => Number.isInteger(n) && n > 0);
const PROFILE = env.BENCH_PROFILE ?? null;
const PORTKEY_DIR = env.BENCH_PORTKEY_DIR?.trim() || null;
const INSTANCES = 60;
const CLAIMERS = 50;

const WORKER_ENTRY = join(ROOT, "workers", "index.ts");
const MIGRATIONS_DIR = join(ROOT, "d1-migrations");
const ANALYTICS_MIGRATIONS_DIR = join(ROOT, "analytics-migrations");
const RESULTS_DIR = join(HERE, "results");

// The static floor is inline: it is the cheapest possible Worker answer (what /healthz should cost).
const STATIC_FLOOR_SCRIPT = `export default { fetch() { return Response.json({ status: "ok" }); } };\n`;

function log(msg) {
  process.stderr.write(`[bench] ${msg}\n`);
}

// ---------------------------------------------------------------------------------------------------------
// CPU accounting: load.mjs samples /proc for these pids at the edges of its measured window, which gives
// workerd's CPU per request and how much CPU other processes on this shared machine took meanwhile.
// ---------------------------------------------------------------------------------------------------------

/** Pids of the workerd processes under this process (Miniflare spawns one). Empty when not on Linux. */
function workerdPids() {
  try {
    const parents = new Map();
    const names = new Map();
    for (const d of readdirSync("/proc")) {
      if (!/^\d+$/.test(d)) continue;
      try {
        const raw = readFileSync(`/proc/${d}/stat`, "utf8");
        names.set(Number(d), raw.slice(raw.indexOf("(") + 1, raw.lastIndexOf(")")));
        parents.set(Number(d), Number(raw.slice(raw.lastIndexOf(")") + 2).split(" ")[1]));
      } catch {}
    }
    const isMine = (pid) => {
      for (let p = pid, hops = 0; p > 1 && hops < 20; p = parents.get(p) ?? 0, hops++)
        if (p === process.pid) return true;
      return false;
    };
    return [...names].filter(([pid, comm]) => comm === "workerd" && isMine(pid)).map(([pid]) => pid);
  } catch {
    return [];
  }
}

function pkgVersion(name, from = require) {
  try {
    return from(`${name}/package.json`).version;
  } catch {
    return "?";
  }
}

// ---------------------------------------------------------------------------------------------------------
// Build: the same bundle shape wrangler would deploy (ESM, worker conditions, runtime modules external).
// ---------------------------------------------------------------------------------------------------------

async function bundleWorker(define, entry = WORKER_ENTRY, banner = undefined, seen = undefined) {
  const esbuild = await import("esbuild");
  const nodeBuiltins = new Set(builtinModules.filter((m) => !m.startsWith("_")));
  const result = await esbuild.build({
    entryPoints: [entry],
    bundle: true,
    write: false,
    format: "esm",
    platform: "neutral",
    target: "es2023",
    conditions: ["workerd", "worker", "browser"],
    mainFields: ["browser", "module", "main"],
    external: ["cloudflare:*", "node:*"],
    keepNames: true, // wrangler's default; some libraries rely on Function.name
    ...(banner ? { banner: { js: banner } } : {}),
    define,
    // wrangler's default module rules, as loaders (a bundle is one module, so they become inline text/bytes).
    loader: { ".sql": "text", ".txt": "text", ".html": "text", ".bin": "binary" },
    logLevel: "silent",
    plugins: [
      {
        // nodejs_compat: a bare `crypto`/`buffer` import means the runtime's `node:` module, as in wrangler.
        name: "bare-node-builtins",
        setup(build) {
          build.onResolve({ filter: /^(node:)?[a-z_/]+$/ }, (args) => {
            const bare = args.path.replace(/^node:/, "");
            if (!nodeBuiltins.has(bare)) return undefined;
            if (args.kind === "require-call") seen?.add(bare);
            return { path: `node:${bare}`, external: true };
          });
        },
      },
    ],
  });
  return result.outputFiles[0].text;
}

// ---------------------------------------------------------------------------------------------------------
// Runtime: one Miniflare, three Workers, each on its own direct socket.
// ---------------------------------------------------------------------------------------------------------

/** botplane's Miniflare options as wrangler derives them from wrangler.toml (bindings, vars, DO classes, queues). */
async function deriveFromWrangler() {
  const { unstable_getMiniflareWorkerOptions } = await import("wrangler");
  return unstable_getMiniflareWorkerOptions(join(ROOT, "wrangler.toml"));
}

/**
 * Portkey's gateway as a same-run baseline (BENCH_PORTKEY_DIR: a checkout of Portkey-AI/gateway with its
 * dependencies installed; never part of this repository). Bundled from its `src/index.ts` the way botplane
 * is; null (row skipped) when the knob is unset, with the reason when the bundle fails.
 */
async function bundlePortkey() {
  if (!PORTKEY_DIR) return { script: null, skipped: "BENCH_PORTKEY_DIR unset" };
  const entry = join(resolve(PORTKEY_DIR), "src", "index.ts");
  if (!existsSync(entry)) return { script: null, skipped: `${entry} not found` };
  try {
    let version = "?";
    try {
      version = JSON.parse(readFileSync(join(resolve(PORTKEY_DIR), "package.json"), "utf8")).version;
    } catch {}
    // Its CommonJS dependencies (ioredis) `require` Node built-ins, which an ES module bundle cannot do
    // (wrangler rewrites those calls); a first pass finds them, the second defines `require` over imports.
    const seen = new Set();
    await bundleWorker({}, entry, undefined, seen);
    const names = [...seen];
    const banner =
      names.map((n, i) => `import __node${i} from "node:${n}";`).join("\n") +
      `\nconst require = (m) => ({ ${names.map((n, i) => `"${n}": __node${i}`).join(", ")} })[m.replace(/^node:/, "")];`;
    return { script: await bundleWorker({}, entry, banner), version };
  } catch (err) {
    return { script: null, skipped: `Portkey bundle failed: ${err.message.split("\n").slice(0, 4).join(" | ")}` };
  }
}

async function startRuntime({ derived, botplaneScript, secret, upstreamBaseUrl, portkeyScript = null }) {
  const { Miniflare, convertV4MiniflareOptions, Log, LogLevel } = await import("miniflare");
  const directSocket = [{ host: HOST, port: 0 }];
  const workers = [];
  // The floors run with botplane's compatibility date so all three Workers get the same runtime behaviour.
  const compatibilityDate = derived.workerOptions.compatibilityDate;

  if (botplaneScript !== null) {
    // Miniflare 5's v4-options adapter refuses `modulesRules` (it cannot express them); they are moot for a
    // single pre-bundled module, whose loaders above mirror them.
    const { modulesRules: _rules, ...workerOptions } = derived.workerOptions;
    workers.push({
      ...workerOptions,
      name: "botplane",
      modules: [{ type: "ESModule", path: join(ROOT, ".bench", "botplane.mjs"), contents: botplaneScript }],
      bindings: {
        ...workerOptions.bindings,
        AUTH_JWT_SECRET: secret,
        DECISION_BACKENDS: decisionBackends(upstreamBaseUrl.replace(/\/v1$/, "")),
        // The chat scenarios measure a turn's cost, not the founder's rate limit (120 an hour by default), which
        // would turn all but the first turns of a run into 429s; the limiter still takes a token per turn.
        CHAT_RATE_LIMITS:
          "web=1000000/hour:100000,extension=1000000/hour:100000,sms=1000000/hour:100000,discord=1000000/hour:100000",
      },
      unsafeDirectSockets: directSocket,
      unsafeRegisterWorker: false,
    });
  }
  workers.push({
    name: "do-write-floor",
    modules: true,
    scriptPath: join(HERE, "floor-worker.js"),
    compatibilityDate,
    durableObjects: { FLOOR: { className: "FloorWriter", useSQLite: true } },
    unsafeDirectSockets: directSocket,
    unsafeRegisterWorker: false,
  });
  workers.push({
    name: "passthrough",
    modules: true,
    scriptPath: join(HERE, "passthrough-worker.js"),
    compatibilityDate,
    bindings: { UPSTREAM_BASE_URL: upstreamBaseUrl },
    unsafeDirectSockets: directSocket,
    unsafeRegisterWorker: false,
  });
  if (portkeyScript !== null)
    workers.push({
      name: "portkey",
      modules: [{ type: "ESModule", path: join(HERE, "portkey.mjs"), contents: portkeyScript }],
      compatibilityDate,
      compatibilityFlags: ["nodejs_compat"],
      unsafeDirectSockets: directSocket,
      unsafeRegisterWorker: false,
    });
  workers.push({
    name: "static-floor",
    modules: [{ type: "ESModule", path: join(HERE, "static-floor.mjs"), contents: STATIC_FLOOR_SCRIPT }],
    compatibilityDate,
    unsafeDirectSockets: directSocket,
    unsafeRegisterWorker: false,
  });

  // Worker logs (botplane logs JSON per request) would flood the report; count them, echo the first errors.
  const logCounts = {};
  const errorSamples = [];
  const logSamples = []; // the first few lines of any level, kept in latest.json
  const makeOptions = (botplaneBindings) =>
    convertV4MiniflareOptions({
      host: HOST,
      port: 0,
      cf: false, // placeholder `request.cf`; otherwise Miniflare fetches one from the internet at start-up
      log: new Log(LogLevel.WARN),
      handleStructuredLogs: ({ level, message }) => {
        logCounts[level] = (logCounts[level] ?? 0) + 1;
        if (logSamples.length < 10) logSamples.push(`${level}: ${message.slice(0, 300)}`);
        if (level === "error" && errorSamples.length < 20) {
          errorSamples.push(message.slice(0, 500));
          log(`worker error log: ${message.slice(0, 300)}`);
        }
      },
      workers: botplaneBindings
        ? workers.map((w) => (w.name === "botplane" ? { ...w, bindings: { ...w.bindings, ...botplaneBindings } } : w))
        : workers,
    });
  const options = makeOptions(null);
  options.logRequests = false; // per-request access lines cost CPU inside the measured path
  if (PROFILE) options.inspectorPort = 0; // only on request: an attached inspector is not free
  // Storage lives in a fresh directory removed afterwards. Default: tmpfs (/dev/shm), because on disk every
  // DO commit waits for an fsync whose cost swings with whatever else uses the disk (measured here: the
  // do-write floor @1 ran 700-1300 req/s on disk, ~2000 steady on tmpfs), and the bench compares code
  // paths, not disks. BENCH_STORAGE_DIR=disk uses Miniflare's own temporary directory; any other value is
  // a parent directory to use.
  const parent = env.BENCH_STORAGE_DIR ?? (existsSync("/dev/shm") ? "/dev/shm" : "disk");
  let storageDir = null;
  if (parent !== "disk") {
    storageDir = mkdtempSync(join(parent, "botplane-bench-"));
    options.resourcePersistencePath = storageDir;
  }
  const mf = new Miniflare(options);
  await mf.ready;
  const urls = {};
  const readUrls = async () => {
    for (const w of workers) urls[w.name] = (await mf.unsafeGetDirectURL(w.name)).origin;
  };
  await readUrls();
  /**
   * Restarts workerd with these bindings over botplane's own (same storage, so D1 and every Durable Object
   * keep their data); `urls` is updated in place, since the direct sockets get new ports.
   */
  const overrideBotplaneBindings = async (bindings) => {
    const next = makeOptions(bindings);
    for (const k of ["logRequests", "inspectorPort", "resourcePersistencePath"]) if (k in options) next[k] = options[k];
    await mf.setOptions(next);
    await readUrls();
  };
  const removeStorageSync = () => {
    if (storageDir) rmSync(storageDir, { recursive: true, force: true });
  };
  const dispose = async () => {
    await mf.dispose().catch(() => {});
    removeStorageSync();
  };
  return {
    mf,
    overrideBotplaneBindings,
    dispose,
    removeStorageSync,
    urls,
    logCounts,
    errorSamples,
    logSamples,
    storage: storageDir ? `${storageDir} (removed afterwards)` : "miniflare temporary directory (disk)",
  };
}

/**
 * Applies d1-migrations/*.sql to DB and analytics-migrations/*.sql to ANALYTICS_DB, in name order, one batch
 * per file, split on drizzle's breakpoint marker.
 */
async function applyMigrations(mf) {
  const applied = [];
  for (const [dir, binding] of [
    [MIGRATIONS_DIR, "DB"],
    [ANALYTICS_MIGRATIONS_DIR, "ANALYTICS_DB"],
  ]) {
    applied.push(...(await applyMigrationsOf(mf, dir, binding)));
  }
  return applied;
}

async function applyMigrationsOf(mf, dir, binding) {
  if (!existsSync(dir)) return [];
  const files = readdirSync(dir)
    .filter((f) => f.endsWith(".sql"))
    .sort();
  const db = await mf.getD1Database(binding, "botplane");
  for (const f of files) {
    const statements = readFileSync(join(dir, f), "utf8")
      .split("--> statement-breakpoint")
      .map((s) => s.trim())
      .filter((s) => s.replace(/^--.*$/gm, "").trim().length > 0);
    if (statements.length) await db.batch(statements.map((s) => db.prepare(s)));
  }
  return files;
}

async function mintToken(secret, scopes = ["admin"], sub = "bench") {
  const { SignJWT } = await import("jose");
  return new SignJWT({ scopes })
    .setProtectedHeader({ alg: "HS256", typ: "JWT" })
    .setSubject(sub)
    .setIssuedAt()
    .setExpirationTime("1h")
    .sign(new TextEncoder().encode(secret));
}

// ---------------------------------------------------------------------------------------------------------
// Load: a second process per scenario, config on stdin, one JSON result on stdout.
// ---------------------------------------------------------------------------------------------------------

let currentChild = null;

function runLoad(config) {
  if (new URL(config.origin).hostname !== HOST) throw new Error(`refusing to target ${config.origin}`);
  return new Promise((resolvePromise, reject) => {
    // Same Node binary as this process (>= 22), so the generator never measures an older runtime.
    const child = spawn(process.execPath, [join(HERE, "load.mjs")], { stdio: ["pipe", "pipe", "pipe"] });
    currentChild = child;
    let out = "";
    let why = ""; // load.mjs's own account of a failure, for the report
    child.stdout.setEncoding("utf8");
    child.stdout.on("data", (d) => (out += d));
    child.stderr.setEncoding("utf8");
    child.stderr.on("data", (d) => {
      process.stderr.write(d);
      const m = /\[load\] failed: (?:Error: )?(.*)/.exec(d);
      if (m) why = m[1];
    });
    child.on("error", reject);
    child.on("close", (code, signal) => {
      currentChild = null;
      if (code !== 0)
        return reject(new Error(`load.mjs (${config.name}) exited ${code ?? signal}${why ? `: ${why}` : ""}`));
      try {
        resolvePromise(JSON.parse(out.trim().split("\n").pop()));
      } catch (err) {
        reject(new Error(`load.mjs (${config.name}) printed no JSON: ${err.message}`));
      }
    });
    child.stdin.end(JSON.stringify(config));
  });
}

let serverPids = [];

function scenarioConfig(name, origin, extra) {
  return {
    name,
    origin,
    serverPids,
    orchestratorPid: process.pid,
    client: CLIENT,
    warmupMs: WARMUP_MS,
    durationMs: DURATION_MS,
    maxRequests: MAX_REQUESTS,
    ...extra,
  };
}

// ---------------------------------------------------------------------------------------------------------
// Claims cross-check: a random sample of successful claims, read back through the API.
// ---------------------------------------------------------------------------------------------------------

async function crossCheckSample(origin, token, claims) {
  const picks = [];
  const n = Math.min(SAMPLE, claims.length);
  const chosen = new Set();
  while (chosen.size < n) chosen.add(randomInt(claims.length));
  for (const i of chosen) picks.push(claims[i]);
  const failures = [];
  let checked = 0;
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(8, picks.length) }, async () => {
      while (next < picks.length) {
        const [id, claimer, claimerSkill] = picks[next++];
        const res = await fetch(`${origin}/v1/workitems/${encodeURIComponent(id)}`, {
          headers: { authorization: `Bearer ${token}` },
        });
        const text = await res.text();
        checked++;
        let body = null;
        try {
          body = JSON.parse(text);
        } catch {}
        const item = body?.work_item ?? body; // accept a bare item or one wrapped in `work_item`
        const problems = [];
        if (res.status !== 200) problems.push(`HTTP ${res.status}`);
        else {
          if (item?.claimed_by !== claimer) problems.push(`claimed_by ${item?.claimed_by} != claimer ${claimer}`);
          const req = item?.required_skill_level;
          if (!(req in SKILL_RANK) || SKILL_RANK[req] > SKILL_RANK[claimerSkill])
            problems.push(`required_skill_level ${req} above claimer skill ${claimerSkill}`);
        }
        if (problems.length) failures.push({ work_item_id: id, claimer, problems, response: text.slice(0, 400) });
      }
    }),
  );
  return { checked, failures: failures.length, examples: failures.slice(0, 5) };
}

/**
 * Explicit-id races: fresh items, each claimed by RACERS instances at once with `work_item_id` set. Exactly
 * one may win (200); every loser must get 409 (the contract), never a second 200.
 */
async function raceProbe(origin, token, claimers, items = 20, racers = 8) {
  const headers = { authorization: `Bearer ${token}`, "content-type": "application/json" };
  const create = await fetch(`${origin}/v1/workitems`, {
    method: "POST",
    headers,
    body: JSON.stringify({
      items: Array.from({ length: items }, (_, i) => ({
        title: `race ${i}`,
        required_skill_level: "basic",
        priority: 1,
        integration_name: "bench-race",
      })),
    }),
  });
  const created = await create.json().catch(() => null);
  if (create.status !== 201 || !Array.isArray(created?.work_item_ids)) {
    return { error: `create race items: HTTP ${create.status} ${JSON.stringify(created)?.slice(0, 300)}` };
  }
  const result = {
    items: created.work_item_ids.length,
    racers,
    multiple_winners: 0,
    no_winner: 0,
    loser_statuses: {},
    examples: [],
  };
  for (const id of created.work_item_ids) {
    const answers = await Promise.all(
      claimers.slice(0, racers).map(async (c) => {
        const res = await fetch(`${origin}/v1/workitems/claim`, {
          method: "POST",
          headers,
          body: JSON.stringify({ botz_id: c.botz_id, work_item_id: id }),
        });
        return { status: res.status, text: await res.text() };
      }),
    );
    const winners = answers.filter((a) => a.status === 200).length;
    if (winners > 1) result.multiple_winners++;
    if (winners === 0) result.no_winner++;
    for (const a of answers.filter((a) => a.status !== 200)) {
      result.loser_statuses[a.status] = (result.loser_statuses[a.status] ?? 0) + 1;
      if (a.status !== 409 && result.examples.length < 3)
        result.examples.push({ work_item_id: id, ...a, text: a.text.slice(0, 300) });
    }
    if (winners !== 1 && result.examples.length < 3)
      result.examples.push({ work_item_id: id, answers: answers.map((a) => a.status) });
  }
  return result;
}

// ---------------------------------------------------------------------------------------------------------
// Report
// ---------------------------------------------------------------------------------------------------------

function fmt(x, d = 0) {
  return x == null || Number.isNaN(x) ? "-" : Number(x).toFixed(d);
}

function printTable(report) {
  const r = report.scenarios;
  const rows = [];
  const NCOLS = 15;
  // `vs(s, base)` replaces the default "rate as % of the baseline's" cell (open-loop rows compare latency).
  const row = (label, s, rateKey, base, baseLabel, vs) => {
    const pad = (first) => [label, first, ...Array(NCOLS - 2).fill("")];
    if (!s) return rows.push(pad("skipped"));
    if (s.error) return rows.push(pad("FAILED"));
    const rate = s[rateKey];
    const hasBase = base && !base.error;
    const pct = hasBase ? (rate / base.rps) * 100 : null;
    rows.push([
      label,
      fmt(rate),
      fmt(s.latency_ms.p50, 2),
      fmt(s.latency_ms.p99, 2),
      fmt(s.latency_ms.p999, 2),
      fmt(s.server_cpu_us_per_req),
      fmt(s.server_cpu_cores, 2),
      fmt(s.generator_cpu_pct),
      fmt(s.other_processes_cores, 2),
      baseLabel ?? "",
      hasBase ? fmt(base.rps) : "",
      hasBase ? fmt(base.latency_ms.p50, 2) : "",
      hasBase ? fmt(base.latency_ms.p99, 2) : "",
      hasBase ? fmt(base.latency_ms.p999, 2) : "",
      vs && hasBase ? vs(s, base) : pct == null ? "" : `${fmt(pct)}%`,
    ]);
  };
  row("static floor @1", r["static-floor@1"], "rps");
  row("static floor @50", r["static-floor@50"], "rps");
  row("healthz @1", r["healthz@1"], "rps", r["static-floor@1"], "static floor @1");
  row("healthz @50", r["healthz@50"], "rps", r["static-floor@50"], "static floor @50");
  row("do-write floor @1", r["do-write-floor@1"], "rps", r["static-floor@1"], "static floor @1");
  row("do-write floor @50", r["do-write-floor@50"], "rps", r["static-floor@50"], "static floor @50");
  row("claims @50 (claims/s)", r["claims@50"], "claims_per_s", r["do-write-floor@50"], "do-write floor @50");
  row("registry read @50", r["registry-read@50"], "rps", r["do-write-floor@50"], "do-write floor @50");
  gatewayRows(row, r, GATEWAY_RATE);
  busRows(row, r);
  edgeRows(row, r);
  chatRows(row, r);
  decisionRows(row, r);
  jimbotRows(row, r);
  const head = [
    "scenario",
    "req/s",
    "p50 ms",
    "p99 ms",
    "p999 ms",
    "srv µs/req",
    "srv cores",
    "gen cpu%",
    "other cores",
    "baseline (same run)",
    "req/s",
    "p50 ms",
    "p99 ms",
    "p999 ms",
    "vs base",
  ];
  const BASE_COL = head.indexOf("baseline (same run)");
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((x) => String(x[i]).length)));
  const line = (cells) =>
    cells
      .map((c, i) => (i === 0 || i === BASE_COL ? String(c).padEnd(widths[i]) : String(c).padStart(widths[i])))
      .join("  ");
  const out = [];
  out.push("");
  out.push(`botplane bench — ${report.runtime}`);
  out.push(`storage: ${report.storage}`);
  out.push(
    `load: ${report.load_client}, separate process, closed loop, ${WARMUP_MS} ms warm-up + ${DURATION_MS} ms per scenario ` +
      `(publish: ${PUBLISH_MS} ms; publish→subscriber: open loop, ${LATENCY_RATE}/s for ${LATENCY_MS} ms; chat: ${GATEWAY_MS} ms, ` +
      `open loop ${GATEWAY_RATE}/s for ${GATEWAY_OPEN_MS} ms), ${report.host} only; fake model upstream: Node HTTP in the orchestrator process`,
  );
  out.push("");
  out.push(line(head));
  out.push(widths.map((w) => "-".repeat(w)).join("  "));
  for (const x of rows) out.push(line(x));
  out.push("srv µs/req = workerd CPU per measured request; srv cores = workerd CPU (1.00 = one core saturated);");
  out.push("gen cpu% = load generator CPU (% of one core; near 100 = generator-bound); other cores = CPU that other");
  out.push("processes on this machine used meanwhile (> 0.2: figure disturbed by something else; rerun when idle).");
  out.push("");
  const c = r["claims@50"];
  if (c && !c.error) {
    const pct = report.claims_vs_floor_pct;
    out.push(
      pct == null
        ? "claims/s vs do-write floor @50: n/a (floor not measured in this run)"
        : `claims/s vs do-write floor @50: ${fmt(pct)}% (target >= ${CLAIMS_TARGET_PCT}%: ${pct >= CLAIMS_TARGET_PCT ? "met" : "NOT met"})`,
    );
    const others = { ...c.by_status };
    delete others[200];
    if (others[404]) others[404] -= c.no_claimable_item_measured;
    if (!(others[404] > 0)) delete others[404];
    out.push(
      `claims: ${c.claims_total} successful (${c.by_status[200] ?? 0} measured), ${c.no_claimable_item} no_claimable_item, ` +
        `other statuses ${JSON.stringify(others)}, ` +
        `seeded ${c.seed.instances} instances + ${c.seed.work_items} items in ${fmt(c.seed.seconds, 1)} s`,
    );
    out.push(
      `double claims: ${c.checks.double_claims}    skill violations: ${c.checks.skill_violations}    ` +
        `GET cross-check: ${report.cross_check.failures} of ${report.cross_check.checked} sampled claims wrong`,
    );
    const rp = report.race_probe;
    if (rp)
      out.push(
        rp.error
          ? `explicit-id race probe FAILED: ${rp.error}`
          : `explicit-id races: ${rp.items} items x ${rp.racers} racers: ${rp.multiple_winners} with two winners, ` +
              `${rp.no_winner} with none, losers answered ${JSON.stringify(rp.loser_statuses)}`,
      );
    const extra = c.checks;
    if (
      extra.skill_field_mismatches ||
      extra.missing_work_item_id ||
      extra.wrong_owner_in_response ||
      extra.unknown_work_item_ids
    )
      out.push(
        `also: ${extra.skill_field_mismatches} response skill != created, ${extra.missing_work_item_id} without work_item_id, ` +
          `${extra.wrong_owner_in_response} response botz_id != claimer, ${extra.unknown_work_item_ids} unknown ids`,
      );
  } else if (c?.error) out.push(`claims scenario FAILED: ${c.error}`);
  else out.push(`claims scenario skipped: ${report.botplane_skipped ?? "?"}`);
  out.push(...gatewaySummary(r, report.gateway, report.gateway.upstream_chat_calls));
  out.push(...busSummary(r, report.publish_durable_path?.error ? null : report.publish_durable_path));
  out.push(...edgeSummary(report.edge));
  out.push(...chatSummary(report.chat));
  out.push(...decisionSummary(report.decisions));
  out.push(...chainbotSummary(r));
  out.push(...jimbotSummary(report.jimbot));
  const saturated = Object.entries(r)
    .filter(([, s]) => s?.generator_cpu_pct > 85)
    .map(([n]) => n);
  if (saturated.length)
    out.push(
      `WARNING: load generator near one full core in ${saturated.join(", ")}: those figures are generator-bound`,
    );
  out.push(`worker log lines by level: ${JSON.stringify(report.worker_logs)}`);
  out.push(`verdict: ${report.ok ? "OK" : "FAIL — " + report.failures.join("; ")}`);
  out.push("");
  process.stdout.write(out.join("\n") + "\n");
}

// ---------------------------------------------------------------------------------------------------------
// Main
// ---------------------------------------------------------------------------------------------------------

async function main() {
  const started = Date.now();
  const failures = [];
  const secret = randomBytes(32).toString("base64url");
  const token = await mintToken(secret);
  const inferToken = await mintToken(secret, ["models:infer"]);
  const chatToken = await mintToken(secret, ["chat:write", "chat:read"], "bench-founder");
  // Started before workerd, whose pass-through Worker is bound to its URL; closed after workerd.
  const upstream = await startFakeUpstream();
  log(`fake model upstream on ${upstream.origin}`);

  // botplane may not exist yet (it is written alongside this bench); the floors are still worth measuring.
  const derived = await deriveFromWrangler();
  let botplaneScript = null;
  let botplaneSkipped = null;
  if (!existsSync(WORKER_ENTRY)) {
    botplaneSkipped = "workers/index.ts does not exist yet";
    log(`${botplaneSkipped}: measuring the floors only`);
  } else {
    try {
      const t = Date.now();
      botplaneScript = await bundleWorker(derived.define);
      log(`bundled workers/index.ts (${(botplaneScript.length / 1024).toFixed(0)} KiB) in ${Date.now() - t} ms`);
    } catch (err) {
      botplaneSkipped = `bundle failed: ${err.message.split("\n").slice(0, 6).join(" | ")}`;
      failures.push(botplaneSkipped);
      log(botplaneSkipped);
    }
  }

  const portkey = botplaneScript === null ? { script: null, skipped: "botplane not bundled" } : await bundlePortkey();
  if (portkey.script) log(`bundled Portkey gateway ${portkey.version} from ${PORTKEY_DIR}`);
  else if (PORTKEY_DIR) log(`Portkey baseline skipped: ${portkey.skipped}`);
  let runtime;
  try {
    try {
      runtime = await startRuntime({
        derived,
        botplaneScript,
        secret,
        upstreamBaseUrl: upstream.baseUrl,
        portkeyScript: portkey.script,
      });
    } catch (err) {
      if (portkey.script === null) throw err;
      // An optional baseline that does not start must not cost the run: measure without it.
      portkey.skipped = `Portkey failed to start: ${err.message.split("\n").slice(0, 4).join(" | ")}`;
      portkey.script = null;
      log(portkey.skipped);
      runtime = await startRuntime({ derived, botplaneScript, secret, upstreamBaseUrl: upstream.baseUrl });
    }
  } catch (err) {
    if (botplaneScript === null) throw err;
    // A Worker that does not start must not hide the floors: report it and measure them alone.
    botplaneSkipped = `botplane failed to start: ${err.message.split("\n").slice(0, 6).join(" | ")}`;
    failures.push(botplaneSkipped);
    log(botplaneSkipped);
    botplaneScript = null;
    runtime = await startRuntime({ derived, botplaneScript: null, secret, upstreamBaseUrl: upstream.baseUrl });
  }
  const { urls } = runtime;
  serverPids = workerdPids();
  const cleanup = async () => {
    currentChild?.kill("SIGTERM");
    await runtime.dispose();
    await upstream.close();
  };
  // Miniflare's own exit hook answers SIGINT/SIGTERM with process.exit() (after stopping workerd), so an
  // async handler here would never finish: what must happen on Ctrl-C is done synchronously on "exit".
  process.on("exit", () => {
    currentChild?.kill("SIGTERM");
    runtime.removeStorageSync();
  });

  const scenarios = {};
  let migrations = [];
  let edgeSetUp = null;
  try {
    if (botplaneScript !== null) {
      try {
        migrations = await applyMigrations(runtime.mf);
        log(`applied ${migrations.length} D1 migration file(s): ${migrations.join(", ") || "(none)"}`);
      } catch (err) {
        failures.push(`D1 migrations failed: ${err.message}`);
        log(failures.at(-1));
      }
    }

    const plan = [
      ["static-floor@1", urls["static-floor"], { path: "/", connections: 1 }],
      ["static-floor@50", urls["static-floor"], { path: "/", connections: 50 }],
      ["do-write-floor@1", urls["do-write-floor"], { path: "/", connections: 1 }],
      ["do-write-floor@50", urls["do-write-floor"], { path: "/", connections: 50 }],
    ];
    const chatPlan = gatewayPlan(urls, upstream.origin, inferToken, {
      rate: GATEWAY_RATE,
      openMs: GATEWAY_OPEN_MS,
      closedMs: GATEWAY_MS,
      tailMs: TAIL_MS,
    }).filter(([, origin]) => origin !== undefined);
    if (botplaneScript === null) plan.push(...chatPlan);
    else {
      plan.push(
        ["healthz@1", urls.botplane, { path: "/healthz", connections: 1 }],
        ["healthz@50", urls.botplane, { path: "/healthz", connections: 50 }],
        [
          "claims@50",
          urls.botplane,
          {
            kind: "claims",
            connections: CLAIMERS,
            headers: { authorization: `Bearer ${token}` },
            seed: { instances: INSTANCES, items: ITEMS, batch: 100, concurrency: 4 },
          },
        ],
        // Where a claim's time goes: the same auth, validation and registry round trip with a one-row read
        // and no write, no outbox event, no queue traffic.
        [
          "registry-read@50",
          urls.botplane,
          { path: "/v1/botz/instances?limit=1", connections: 50, headers: { authorization: `Bearer ${token}` } },
        ],
        ...chatPlan,
        ...EDGE_SCENARIOS.map((name) => [name, urls.botplane, { edge: true }]),
        ...chatSessionPlan(urls.botplane),
        ...decisionPlan(urls.botplane, upstream.origin, inferToken, GATEWAY_MS),
        ...CHAINBOT_SCENARIOS.map((name) => [name, urls.botplane, { chainbot: true }]),
        ...JIMBOT_SCENARIOS.map((name) => [name, urls.botplane, { jimbot: true }]),
        [INGEST_SCENARIO, urls.botplane, { ingest: true }],
        ...busPlan(urls.botplane, token, {
          latencyRate: LATENCY_RATE,
          latencyMs: LATENCY_MS,
          publishMs: PUBLISH_MS,
          partitions: BUS_PARTITIONS,
        }),
      );
    }
    const only = env.BENCH_ONLY ? new Set(env.BENCH_ONLY.split(",").map((x) => x.trim())) : null;
    const selected = plan.filter(([n]) => !only || only.has(n));
    // Early, so the raised limit has reached every isolate by the time the bus scenarios run.
    let publishLimit = null;
    if (selected.some(([, , extra]) => extra.bus)) {
      try {
        publishLimit = await raisePublishLimits(urls.botplane, token);
        log(`publish rate limit raised: ${JSON.stringify(publishLimit.limit)}`);
      } catch (err) {
        failures.push(`raising the publish rate limit failed: ${err.message}`);
        log(failures.at(-1));
      }
    }
    // The edge scenarios' agents and fake Ollama; their request specs exist only once the devices answer.
    let edgeScenarios = null;
    if (selected.some(([, , extra]) => extra.edge)) {
      try {
        edgeSetUp = await setUpEdge(urls.botplane, (scopes, sub) => mintToken(secret, scopes, sub), log);
        edgeScenarios = Object.fromEntries(
          edgePlan(urls.botplane, edgeSetUp.targets, EDGE_MS).map(([name, , extra]) => [name, extra]),
        );
      } catch (err) {
        failures.push(`edge set-up failed: ${String(err?.message ?? err)}`);
        log(failures.at(-1));
      }
    }
    // The knowledge graph scenario's 10,000 entities, written into D1 before its load starts.
    let jimbotScenarios = null;
    if (selected.some(([, , extra]) => extra.jimbot)) {
      try {
        const seeded = await seedGraph(runtime.mf);
        await probeGraph(urls.botplane, token);
        log(`knowledge graph seeded: ${seeded.entities} entities, ${seeded.relations} relations`);
        jimbotScenarios = Object.fromEntries(
          jimbotPlan(urls.botplane, token, JIMBOT_MS).map(([name, , extra]) => [name, extra]),
        );
      } catch (err) {
        failures.push(`knowledge graph set-up failed: ${String(err?.message ?? err)} ${String(err?.cause ?? "")}`);
        log(failures.at(-1));
      }
    }
    let gatewayConfig = null;
    if (selected.some(([, origin, extra]) => (extra.chat || extra.chatGateway) && origin === urls.botplane)) {
      try {
        // One config serves both: the edge's function stays in it (the edge set-up above stored it alone).
        const edgeToml = edgeSetUp ? EDGE_GATEWAY_TOML : "";
        gatewayConfig = await configureGateway(
          urls.botplane,
          token,
          inferToken,
          upstream.baseUrl,
          edgeToml + CHAT_GATEWAY_TOML,
        );
        log(`gateway config stored; probe inference answered (Server-Timing: ${gatewayConfig.server_timing})`);
      } catch (err) {
        gatewayConfig = { error: String(err?.message ?? err) };
        failures.push(`gateway set-up failed: ${gatewayConfig.error}`);
        log(failures.at(-1));
      }
    }
    let partitionsInForce = null;
    // The restart drops the local queue's in-memory messages, so history must hold every accepted event first.
    let drainBeforeRestart = null;
    for (const [name, planned, plannedExtra] of selected) {
      let origin = planned;
      let extra = plannedExtra;
      if (extra.chainbot) {
        log(`running ${name} ...`);
        try {
          scenarios[name] = await runChainbot(name, origin, token, log);
        } catch (err) {
          scenarios[name] = { error: String(err?.message ?? err) };
          failures.push(`${name}: ${scenarios[name].error}`);
        }
        continue;
      }
      if (extra.edge) {
        if (!edgeScenarios) {
          scenarios[name] = { error: "skipped: edge set-up failed" };
          continue;
        }
        extra = edgeScenarios[name];
      }
      if (extra.jimbot) {
        if (!jimbotScenarios) {
          scenarios[name] = { error: "skipped: knowledge graph set-up failed" };
          continue;
        }
        extra = jimbotScenarios[name];
      }
      if (extra.ingest) {
        log(`running ${name} (${INGEST_EVENTS} events) ...`);
        try {
          await waitForQuiet(serverPids, QUIET_MS);
          scenarios[name] = await measureIngest(urls.botplane, runtime.mf, token, INGEST_EVENTS, DRAIN_MS);
          if (!scenarios[name].complete)
            failures.push(`${name}: ${scenarios[name].ingested}/${INGEST_EVENTS} ingested in ${DRAIN_MS} ms`);
          log(`${name}: ${scenarios[name].events_per_s} events/s (${scenarios[name].total_ms} ms)`);
        } catch (err) {
          scenarios[name] = { error: err.message };
          failures.push(`${name}: ${err.message}`);
        }
        continue;
      }
      if (extra.partitions !== undefined) {
        if (extra.partitions !== partitionsInForce) {
          const drained = await drainCheck(runtime.mf, scenarios, DRAIN_MS).catch((err) => ({
            error: String(err?.message ?? err),
          }));
          drainBeforeRestart ??= drained;
          if (drained?.error) failures.push(`durable-path check before a restart failed: ${drained.error}`);
          else failures.push(...busFailures({}, drained));
          log(`restarting workerd with EVENT_BUS_PARTITIONS=${extra.partitions} ...`);
          try {
            await runtime.overrideBotplaneBindings({ EVENT_BUS_PARTITIONS: String(extra.partitions) });
            partitionsInForce = extra.partitions;
            serverPids = workerdPids();
          } catch (err) {
            scenarios[name] = { error: `EVENT_BUS_PARTITIONS override failed: ${err.message}` };
            failures.push(`${name}: ${scenarios[name].error}`);
            continue;
          }
        }
        origin = urls.botplane;
      }
      if (gatewayConfig?.error && (extra.chat || extra.chatGateway) && origin === urls.botplane) {
        scenarios[name] = { error: "skipped: gateway set-up failed" };
        continue;
      }
      let settle = null;
      if (extra.bus || extra.quiet) {
        settle = await waitForQuiet(serverPids, QUIET_MS);
        if (extra.bus && publishLimit)
          await new Promise((r) => setTimeout(r, Math.max(0, publishLimit.inForceAt - Date.now())));
        if (settle && !settle.quiet) log(`${name}: workerd still busy after ${QUIET_MS} ms; running anyway`);
      }
      log(`running ${name} ...`);
      const upstreamBefore = upstream.counts.chat;
      try {
        const stopProfile =
          PROFILE === name ? await startProfile((await runtime.mf.getInspectorURL()).href, "botplane") : null;
        const result = extra.chatGateway
          ? await runChatLoad({ ...scenarioConfig(name, origin, extra), token: chatToken })
          : await runLoad(scenarioConfig(name, origin, extra));
        // An interleaved scenario measures several targets: each becomes a scenario of its own below.
        const parts = result.kind === "chat-pair" ? Object.entries(result.targets) : [[name, result]];
        if (result.kind === "chat-pair") scenarios[name] = { kind: "chat-pair", targets: Object.keys(result.targets) };
        for (const [part, figures] of parts) scenarios[part] = figures;
        if (stopProfile) {
          const profile = await stopProfile();
          mkdirSync(RESULTS_DIR, { recursive: true });
          writeFileSync(join(RESULTS_DIR, `${name}.cpuprofile`), JSON.stringify(profile));
          scenarios[name].profile = summarizeProfile(profile);
          log(`${name} profile (top self time): ${JSON.stringify(scenarios[name].profile.top.slice(0, 12))}`);
        }
        if (settle) scenarios[name].settled_before = settle;
        if (extra.chat) {
          // Every request the load process issued (warm-up included) against what reached the upstream.
          const calls = upstream.counts.chat - upstreamBefore;
          const issued = parts.reduce((n, [, s]) => n + (s.loop === "open" ? s.sent : s.issued_total), 0);
          for (const [, s] of parts) {
            s.upstream_calls = calls;
            s.upstream_calls_per_request = issued ? Math.round((calls / issued) * 1000) / 1000 : null;
          }
        }
        for (const [part, s] of parts) {
          // 200 is the only good answer, except a claim's 404 `no_claimable_item` (the queue ran dry for a skill).
          const statuses = { ...s.by_status };
          delete statuses[s.ok_status ?? 200];
          if (s.kind === "claims" && statuses[404]) {
            statuses[404] -= s.no_claimable_item_measured;
            if (statuses[404] <= 0) delete statuses[404];
          }
          const bad = Object.entries(statuses);
          if (bad.length || Object.keys(s.network_errors).length) {
            failures.push(
              `${part}: unexpected answers ${JSON.stringify(Object.fromEntries(bad))} ${JSON.stringify(s.network_errors)}`,
            );
            if (s.non_200_samples) log(`${part} non-200 samples: ${JSON.stringify(s.non_200_samples)}`);
          }
          log(
            `${part}: ${s.events_per_s ?? s.rps} ${s.kind?.startsWith("publish") ? "events" : "req"}/s, p50 ${s.latency_ms.p50} ms, p99 ${s.latency_ms.p99} ms, p999 ${s.latency_ms.p999} ms`,
          );
        }
      } catch (err) {
        scenarios[name] = { error: err.message };
        failures.push(`${name}: ${err.message}`);
        log(`${name} failed: ${err.message}`);
      }
    }

    // Claims verification: the load process checked every claim; cross-check a sample through the API.
    let crossCheck = { checked: 0, failures: 0, examples: [] };
    let race = null;
    const c = scenarios["claims@50"];
    if (c && !c.error) {
      if (c.checks.double_claims > 0) failures.push(`${c.checks.double_claims} double claim(s)`);
      if (c.checks.skill_violations > 0) failures.push(`${c.checks.skill_violations} claim(s) above skill`);
      if (c.checks.missing_work_item_id > 0)
        failures.push(`${c.checks.missing_work_item_id} claim(s) without work_item_id`);
      if (c.checks.skill_field_mismatches > 0)
        failures.push(
          `${c.checks.skill_field_mismatches} claim response(s) with a required_skill_level other than the item's`,
        );
      if (c.checks.wrong_owner_in_response > 0)
        failures.push(`${c.checks.wrong_owner_in_response} claim response(s) naming another botz_id`);
      if (c.checks.unknown_work_item_ids > 0)
        failures.push(`${c.checks.unknown_work_item_ids} claim(s) of ids the bench never created`);
      if (c.claims_total === 0) failures.push("no successful claim at all");
      crossCheck = await crossCheckSample(urls.botplane, token, c.claims).catch((err) => ({
        checked: 0,
        failures: 1,
        examples: [{ error: String(err?.message ?? err) }],
      }));
      if (crossCheck.failures > 0) failures.push(`${crossCheck.failures} sampled claim(s) read back wrong`);
      race = await raceProbe(urls.botplane, token, c.claimers).catch((err) => ({ error: String(err?.message ?? err) }));
      if (race.error) failures.push(`race probe: ${race.error}`);
      else {
        if (race.multiple_winners) failures.push(`${race.multiple_winners} explicit-id race(s) with two winners`);
        if (race.no_winner) failures.push(`${race.no_winner} explicit-id race(s) with no winner`);
        const non409 = Object.entries(race.loser_statuses).filter(([k]) => k !== "409");
        if (non409.length)
          failures.push(`race losers answered ${JSON.stringify(Object.fromEntries(non409))} instead of 409`);
      }
    }

    const drain = await drainCheck(runtime.mf, scenarios, DRAIN_MS).catch((err) => ({
      error: String(err?.message ?? err),
    }));
    if (drain?.error) failures.push(`durable-path check failed: ${drain.error}`);
    failures.push(...busFailures(scenarios, drain?.error ? null : drain));
    failures.push(...gatewayFailures(scenarios));
    failures.push(...chainbotFailures(scenarios));

    const floor50 = scenarios["do-write-floor@50"];
    const runtimeName =
      `workerd ${pkgVersion("workerd", createRequire(require.resolve("miniflare")))} via miniflare ` +
      `${pkgVersion("miniflare")} (direct sockets; no dev proxy, no entry Worker)`;
    const report = {
      generated_at: new Date().toISOString(),
      runtime: runtimeName,
      wrangler: pkgVersion("wrangler"),
      node: process.versions.node,
      host: HOST,
      load_client: Object.values(scenarios).find((s) => s.client)?.client ?? CLIENT,
      build:
        botplaneScript === null
          ? null
          : "esbuild " +
            pkgVersion("esbuild") +
            " bundle + wrangler.toml bindings via unstable_getMiniflareWorkerOptions",
      storage: runtime.storage,
      migrations,
      botplane_skipped: botplaneSkipped,
      settings: {
        duration_ms: DURATION_MS,
        warmup_ms: WARMUP_MS,
        items: ITEMS,
        instances: INSTANCES,
        claimers: CLAIMERS,
        publish_ms: PUBLISH_MS,
        latency_rate_per_s: LATENCY_RATE,
        latency_ms: LATENCY_MS,
        gateway_rate_per_s: GATEWAY_RATE,
        gateway_open_ms: GATEWAY_OPEN_MS,
        gateway_ms: GATEWAY_MS,
        tail_ms: TAIL_MS,
        bus_partitions: BUS_PARTITIONS,
      },
      portkey: portkey.script ? { dir: PORTKEY_DIR, version: portkey.version } : { skipped: portkey.skipped },
      publish_rate_limit: publishLimit?.limit ?? null,
      // With partition restarts, the throughput backlog drained before the first restart: its rate is that one's.
      publish_durable_path:
        drain && !drain.error && drainBeforeRestart && !drainBeforeRestart.error
          ? {
              ...drain,
              backlog_at_end: drainBeforeRestart.backlog_at_end,
              drain_seconds: drainBeforeRestart.drain_seconds,
              drain_events_per_s: drainBeforeRestart.drain_events_per_s,
            }
          : drain,
      publish_durable_path_before_restart: drainBeforeRestart,
      edge: edgeFigures(scenarios),
      chat: chatFigures(scenarios),
      decisions: decisionFigures(scenarios),
      jimbot: jimbotFigures(scenarios),
      gateway: {
        config: gatewayConfig,
        upstream_chat_calls: upstream.counts.chat,
        ...gatewayFigures(scenarios, GATEWAY_RATE),
      },
      scenarios,
      claims_vs_floor_pct:
        c && !c.error && floor50 && !floor50.error ? Math.round((c.claims_per_s / floor50.rps) * 1000) / 10 : null,
      claims_target_pct: CLAIMS_TARGET_PCT,
      cross_check: crossCheck,
      race_probe: race,
      worker_logs: runtime.logCounts,
      worker_error_samples: runtime.errorSamples,
      worker_log_samples: runtime.logSamples,
      failures,
      ok: failures.length === 0,
      wall_seconds: Math.round((Date.now() - started) / 100) / 10,
    };
    printTable(report);
    // The raw claim list is large and only needed for the checks above.
    if (c && !c.error) report.scenarios["claims@50"] = { ...c, claims: undefined };
    mkdirSync(RESULTS_DIR, { recursive: true });
    writeFileSync(join(RESULTS_DIR, "latest.json"), JSON.stringify(report, null, 2) + "\n");
    log(`wrote ${join("test", "bench", "results", "latest.json")} (${report.wall_seconds} s total)`);
    return report.ok ? 0 : 1;
  } finally {
    await edgeSetUp?.close();
    await cleanup();
  }
}

// The console's first load runs after the rest (or alone: BENCH_ONLY=console-first-load); its own servers.
const only = process.env.BENCH_ONLY ? new Set(process.env.BENCH_ONLY.split(",").map((x) => x.trim())) : null;
const wantsRest = !only || [...only].some((s) => s !== CONSOLE_SCENARIO);
const wantsConsole = !only || only.has(CONSOLE_SCENARIO);
async function runConsole() {
  const figures = await consoleBench();
  printConsoleTable(figures);
  mkdirSync(RESULTS_DIR, { recursive: true });
  writeFileSync(join(RESULTS_DIR, "console.json"), JSON.stringify(figures, null, 2) + "\n");
  return 0;
}
(wantsRest ? main() : Promise.resolve(0)).then(
  async (code) => process.exit(wantsConsole ? Math.max(code, await runConsole()) : code),
  (err) => {
    process.stderr.write(`[bench] fatal: ${err?.stack ?? err}\n`);
    process.exit(1);
  },
);
