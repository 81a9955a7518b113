// Load generator for `npm run bench`, run as its own process (spawned by test/bench/run.mjs) so that the load
// never shares an event loop with Miniflare. It owns: the closed-loop request loop, latency statistics, the
// claims scenario's seeding (register instances, create work items) and the in-process claim checks
// (double claims, claims above skill), and the CPU accounting of its measured window (/proc: workerd's CPU
// per request, its own, and other processes' on this shared machine); the bus scenarios are in
// load-publish.mjs, the model-gateway ones in load-gateway.mjs. Input: one JSON object on stdin. Output:
// one JSON object on stdout; progress and diagnostics go to stderr so stdout stays parseable.
//
// Closed loop: each of `connections` loops "send one request, wait for the whole response, repeat" on its
// own keep-alive connection, so the offered load adapts to the server and latency is not inflated by a
// queue inside the generator. The run ends at `warmupMs + durationMs` or after `maxRequests`, whichever
// comes first; requests started during warm-up are not measured (claims made during warm-up are still
// checked, because a double claim is a double claim whenever it happens).
import { performance } from "node:perf_hooks";
import http from "node:http";
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { runLatency, runPublish } from "./load-publish.mjs";
import { runChatClosed, runChatOpen } from "./load-gateway.mjs";

const SKILLS = ["basic", "tac_enabled", "mcp_augmented", "agentic"];
const SKILL_RANK = Object.fromEntries(SKILLS.map((s, i) => [s, i]));

function log(msg) {
  process.stderr.write(`[load] ${msg}\n`);
}

async function readStdin() {
  const chunks = [];
  for await (const c of process.stdin) chunks.push(c);
  return JSON.parse(Buffer.concat(chunks).toString("utf8"));
}

/** Only the loopback address may be loaded: refuse anything else before a single request leaves. */
function assertLoopback(origin) {
  const u = new URL(origin);
  if (u.hostname !== "127.0.0.1") throw new Error(`refusing to load ${u.hostname}: only 127.0.0.1 is allowed`);
  return u;
}

// ---------------------------------------------------------------------------------------------------------
// HTTP clients. Each returns `send(conn, {method, path, headers, body, wantBody}) -> {status, text}`, with one
// keep-alive connection per logical connection. undici (resolvable because miniflare depends on it) is the
// default because it was fastest here: a static Worker at 50 connections took ~12.6k req/s from undici
// Clients (generator at ~44% of a core), ~9.7k from node:http with a keep-alive Agent (~65%), ~5.5k from
// global fetch (~107%: generator-bound). `BENCH_CLIENT=http|fetch` switches; node:http is the fallback.
// ---------------------------------------------------------------------------------------------------------

function loadUndici() {
  try {
    return createRequire(import.meta.url)("undici");
  } catch {
    return null;
  }
}

function makeUndiciClient(undici, origin, connections) {
  // One Client per logical connection (not one Pool): pins each claimer to its own socket, pipelining 1.
  const clients = Array.from(
    { length: connections },
    () => new undici.Client(origin, { pipelining: 1, keepAliveTimeout: 60_000, keepAliveMaxTimeout: 600_000 }),
  );
  return {
    name: `undici ${requireVersion("undici")}`.trim(),
    async send(conn, req) {
      const res = await clients[conn].request({
        method: req.method,
        path: req.path,
        headers: req.headers,
        body: req.body ?? undefined,
      });
      // Always consume the body: an unread body keeps the socket busy and the next request would stall.
      if (req.wantBody) return { status: res.statusCode, text: await res.body.text() };
      await res.body.dump();
      return { status: res.statusCode, text: null };
    },
    async close() {
      await Promise.all(clients.map((c) => c.close().catch(() => {})));
    },
  };
}

function makeNodeHttpClient(originUrl, connections) {
  // One agent per connection with maxSockets 1 keeps the "each claimer its own socket" property.
  const agents = Array.from({ length: connections }, () => new http.Agent({ keepAlive: true, maxSockets: 1 }));
  return {
    name: `node:http ${process.versions.node}`,
    send(conn, req) {
      return new Promise((resolve, reject) => {
        const r = http.request(
          {
            agent: agents[conn],
            host: originUrl.hostname,
            port: originUrl.port,
            method: req.method,
            path: req.path,
            headers: req.body ? { ...req.headers, "content-length": Buffer.byteLength(req.body) } : req.headers,
          },
          (res) => {
            const chunks = [];
            res.on("data", (c) => req.wantBody && chunks.push(c));
            res.on("end", () =>
              resolve({ status: res.statusCode, text: req.wantBody ? Buffer.concat(chunks).toString("utf8") : null }),
            );
            res.on("error", reject);
          },
        );
        r.on("error", reject);
        r.end(req.body ?? undefined);
      });
    },
    async close() {
      for (const a of agents) a.destroy();
    },
  };
}

function makeFetchClient(origin, _connections) {
  // Global fetch is undici underneath with a shared pool; kept only to compare against the other two.
  return {
    name: `global fetch (node ${process.versions.node})`,
    async send(_conn, req) {
      const res = await fetch(origin + req.path, { method: req.method, headers: req.headers, body: req.body });
      const text = await res.text();
      return { status: res.status, text: req.wantBody ? text : null };
    },
    async close() {},
  };
}

function requireVersion(pkg) {
  try {
    return createRequire(import.meta.url)(`${pkg}/package.json`).version;
  } catch {
    return "";
  }
}

function makeClient(kind, originUrl, connections) {
  const origin = originUrl.origin;
  if (kind === "fetch") return makeFetchClient(origin, connections);
  if (kind === "http") return makeNodeHttpClient(originUrl, connections);
  const undici = loadUndici();
  if (undici) return makeUndiciClient(undici, origin, connections);
  log("undici not resolvable; falling back to node:http");
  return makeNodeHttpClient(originUrl, connections);
}

// ---------------------------------------------------------------------------------------------------------
// CPU accounting from /proc (Linux; null elsewhere). Jiffies are 1/100 s (USER_HZ).
// ---------------------------------------------------------------------------------------------------------

function procCpu(pid) {
  // utime stime cutime cstime are fields 14-17; split after the `(comm)` which may contain spaces.
  const raw = readFileSync(`/proc/${pid}/stat`, "utf8");
  const f = raw.slice(raw.lastIndexOf(")") + 2).split(" ");
  return Number(f[11]) + Number(f[12]) + Number(f[13]) + Number(f[14]);
}

function cpuSample(serverPids, orchestratorPid) {
  try {
    const c = readFileSync("/proc/stat", "utf8").split("\n")[0].trim().split(/\s+/).slice(1, 9).map(Number);
    const busy = c.reduce((a, b) => a + b, 0) - c[3] - c[4]; // minus idle and iowait
    const server = serverPids.reduce((a, p) => a + procCpu(p), 0);
    const own = procCpu(process.pid) + (orchestratorPid ? procCpu(orchestratorPid) : 0);
    return { at: performance.now(), busy, server, own };
  } catch {
    return null;
  }
}

/** Server CPU (cores and µs per measured request) and CPU of everything else on the machine (cores). */
function cpuFigures(a, b, requests) {
  if (!a || !b) return { server_cpu_cores: null, server_cpu_us_per_req: null, other_processes_cores: null };
  const seconds = (b.at - a.at) / 1000;
  const server = (b.server - a.server) / 100;
  const other = Math.max(0, (b.busy - a.busy - (b.server - a.server) - (b.own - a.own)) / 100);
  return {
    // 1.0 = workerd kept one core busy: the server, not the generator, is the limit.
    server_cpu_cores: round(server / seconds, 2),
    server_cpu_us_per_req: requests ? Math.round((server * 1e6) / requests) : null,
    // > ~0.2 means something else (a type-check, a test run) competed for the 2 cores: figure disturbed.
    other_processes_cores: round(other / seconds, 2),
  };
}

// ---------------------------------------------------------------------------------------------------------
// Statistics
// ---------------------------------------------------------------------------------------------------------

function percentile(sorted, p) {
  if (sorted.length === 0) return null;
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return round(sorted[i]);
}

function round(x, d = 3) {
  const f = 10 ** d;
  return Math.round(x * f) / f;
}

// ---------------------------------------------------------------------------------------------------------
// Closed-loop runner
// ---------------------------------------------------------------------------------------------------------

/**
 * Runs `connections` closed loops. `requestFor(conn)` gives the request; `onResponse(conn, res, measured)`
 * sees every response (warm-up included) and returns nothing. Returns the measured figures.
 */
async function closedLoop(client, cfg, requestFor, onResponse) {
  const { connections, warmupMs, durationMs, maxRequests } = cfg;
  const serverPids = cfg.serverPids ?? [];
  const lat = new Float64Array(Math.max(1, maxRequests));
  let nLat = 0;
  let issued = 0;
  const byStatus = {};
  const netErrors = {};
  const t0 = performance.now();
  const measureFrom = t0 + warmupMs;
  const stopAt = measureFrom + durationMs;
  let lastDone = measureFrom;
  let cpuAtMeasure = null;
  let procAtMeasure = null;

  async function loop(conn) {
    while (issued < maxRequests) {
      const start = performance.now();
      if (start >= stopAt) return;
      if (cpuAtMeasure === null && start >= measureFrom) {
        cpuAtMeasure = process.cpuUsage();
        procAtMeasure = cpuSample(serverPids, cfg.orchestratorPid);
      }
      issued++;
      const req = requestFor(conn);
      const measured = start >= measureFrom;
      let res;
      try {
        res = await client.send(conn, req);
      } catch (err) {
        const code = err?.code ?? err?.name ?? "error";
        if (measured) netErrors[code] = (netErrors[code] ?? 0) + 1;
        // A refused/reset socket would otherwise spin this loop as fast as the CPU allows.
        await new Promise((r) => setTimeout(r, 10));
        continue;
      }
      const end = performance.now();
      if (measured) {
        if (nLat < lat.length) lat[nLat++] = end - start;
        byStatus[res.status] = (byStatus[res.status] ?? 0) + 1;
        if (end > lastDone) lastDone = end;
      }
      onResponse?.(conn, req, res, measured);
    }
  }

  await Promise.all(Array.from({ length: connections }, (_, c) => loop(c)));
  const procAtEnd = cpuSample(serverPids, cfg.orchestratorPid);
  const cpu = cpuAtMeasure ? process.cpuUsage(cpuAtMeasure) : { user: 0, system: 0 };
  const seconds = Math.max(1e-9, (lastDone - measureFrom) / 1000);
  const sorted = lat.subarray(0, nLat).sort();
  const count = Object.values(byStatus).reduce((a, b) => a + b, 0);
  return {
    connections,
    warmup_ms: warmupMs,
    duration_ms: durationMs,
    max_requests: maxRequests,
    hit_max_requests: issued >= maxRequests,
    issued_total: issued,
    count,
    seconds: round(seconds),
    rps: round(count / seconds, 1),
    by_status: byStatus,
    network_errors: netErrors,
    latency_ms: {
      p50: percentile(sorted, 50),
      p95: percentile(sorted, 95),
      p99: percentile(sorted, 99),
      max: sorted.length ? round(sorted[sorted.length - 1]) : null,
      mean: sorted.length ? round(sorted.reduce((a, b) => a + b, 0) / sorted.length) : null,
    },
    // CPU the generator used while measuring, as % of one core: near 100 would mean the generator, not the
    // server, is the bottleneck (Node runs this loop on one thread).
    generator_cpu_pct: round(((cpu.user + cpu.system) / 1000 / (seconds * 1000)) * 100, 1),
    ...cpuFigures(procAtMeasure, procAtEnd, count),
  };
}

// ---------------------------------------------------------------------------------------------------------
// Scenarios
// ---------------------------------------------------------------------------------------------------------

async function runPlain(cfg, client) {
  const bodies = cfg.bodies ?? null;
  const req = (conn) => ({
    method: cfg.method ?? "GET",
    path: cfg.path,
    headers: { ...(cfg.headers ?? {}), ...(bodies ? { "content-type": "application/json" } : {}) },
    body: bodies ? bodies[conn % bodies.length] : null,
    wantBody: false,
  });
  return closedLoop(client, cfg, req);
}

/** Parses a JSON body; a non-JSON answer is itself a finding, so it is kept (truncated) instead of thrown. */
function parseJson(text) {
  try {
    return JSON.parse(text);
  } catch {
    return { __unparsed: String(text).slice(0, 300) };
  }
}

/** Runs `fn` over `items` with at most `limit` in flight. */
async function pool(items, limit, fn) {
  const out = new Array(items.length);
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(limit, items.length) }, async () => {
      while (next < items.length) {
        const i = next++;
        out[i] = await fn(items[i], i);
      }
    }),
  );
  return out;
}

async function seedClaims(cfg, client) {
  const auth = cfg.headers ?? {};
  const json = { ...auth, "content-type": "application/json" };
  const t0 = performance.now();

  // 1. Instances, skill levels cycling so every level has the same number of claimers.
  const regs = Array.from({ length: cfg.seed.instances }, (_, i) => ({
    botz_name: "bench",
    instance_id: `bench-${String(i).padStart(3, "0")}`,
    skill_level: SKILLS[i % SKILLS.length],
  }));
  const claimers = await pool(regs, 4, async (r, i) => {
    const res = await client.send(i % cfg.connections, {
      method: "POST",
      path: "/v1/botz/register",
      headers: json,
      body: JSON.stringify(r),
      wantBody: true,
    });
    const body = parseJson(res.text);
    if ((res.status !== 200 && res.status !== 201) || typeof body?.botz_id !== "string") {
      throw new Error(`register ${r.instance_id}: HTTP ${res.status} ${res.text?.slice(0, 300)}`);
    }
    return { botz_id: body.botz_id, skill_level: r.skill_level, instance_id: r.instance_id };
  });

  // 2. Work items in batches of 100; required skill cycles so every level is represented, priorities mix.
  const total = cfg.seed.items;
  const batchSize = cfg.seed.batch ?? 100;
  const batches = [];
  for (let start = 0; start < total; start += batchSize) {
    const items = [];
    for (let n = start; n < Math.min(total, start + batchSize); n++) {
      items.push({
        title: `bench item ${n}`,
        required_skill_level: SKILLS[n % SKILLS.length],
        priority: 1 + ((n * 7) % 10),
        integration_name: "bench",
      });
    }
    batches.push(items);
  }
  const createdSkill = new Map(); // work_item_id -> required_skill_level as created (ground truth for checks)
  let done = 0;
  await pool(batches, cfg.seed.concurrency ?? 4, async (items, bi) => {
    const res = await client.send(bi % cfg.connections, {
      method: "POST",
      path: "/v1/workitems",
      headers: json,
      body: JSON.stringify({ items }),
      wantBody: true,
    });
    const body = parseJson(res.text);
    const ids = body?.work_item_ids;
    if (res.status !== 201 || !Array.isArray(ids) || ids.length !== items.length) {
      throw new Error(`create batch ${bi}: HTTP ${res.status} ${res.text?.slice(0, 300)}`);
    }
    ids.forEach((id, k) => createdSkill.set(String(id), items[k].required_skill_level));
    if (++done % 50 === 0) log(`created ${done * batchSize}/${total} work items`);
  });
  const seconds = (performance.now() - t0) / 1000;
  log(`seeded ${claimers.length} instances and ${createdSkill.size} work items in ${seconds.toFixed(1)} s`);
  return { claimers, createdSkill, seedSeconds: round(seconds) };
}

async function runClaims(cfg, client) {
  const { claimers, createdSkill, seedSeconds } = await seedClaims(cfg, client);
  const headers = { ...(cfg.headers ?? {}), "content-type": "application/json" };
  // Each connection is one claimer; with more connections than instances they would share ids, so refuse.
  if (cfg.connections > claimers.length) throw new Error("more connections than registered instances");
  const bodies = claimers.map((c) => JSON.stringify({ botz_id: c.botz_id }));

  const claims = []; // every successful claim, warm-up included
  const otherBodies = {}; // a sample of non-200 answers per status, to report what the Worker said
  let noneLeft = 0;
  let noneLeftMeasured = 0;
  const req = (conn) => ({ method: "POST", path: "/v1/workitems/claim", headers, body: bodies[conn], wantBody: true });
  const onResponse = (conn, _req, res, measured) => {
    if (res.status === 200) {
      const b = parseJson(res.text);
      claims.push({
        work_item_id: b?.work_item_id == null ? null : String(b.work_item_id),
        claimer: claimers[conn].botz_id,
        claimer_skill: claimers[conn].skill_level,
        returned_botz_id: b?.botz_id ?? null,
        required_skill_level: b?.required_skill_level ?? null,
        fencing_token: b?.fencing_token ?? null,
      });
    } else {
      const b = parseJson(res.text);
      if (res.status === 404 && b?.error?.code === "no_claimable_item") {
        noneLeft++;
        if (measured) noneLeftMeasured++;
      } else {
        const bodies = (otherBodies[res.status] ??= []);
        if (bodies.length < 3) bodies.push(res.text?.slice(0, 300));
      }
    }
  };
  // Let background work from seeding (bus events, queue consumer writes) settle before the clock starts.
  await new Promise((r) => setTimeout(r, cfg.settleMs ?? 2000));
  const stats = await closedLoop(client, cfg, req, onResponse);

  // Checks. Ground truth for an item's skill is what we created, not what the claim response says.
  const seen = new Map();
  let doubleClaims = 0;
  let skillViolations = 0;
  let skillMismatches = 0; // response's required_skill_level differs from the created one
  let missingId = 0;
  let wrongOwner = 0; // response's botz_id differs from the claimer that asked
  let unknownItem = 0; // an id we never created
  const examples = { double: [], skill: [], mismatch: [], owner: [] };
  for (const c of claims) {
    if (!c.work_item_id) {
      missingId++;
      continue;
    }
    if (seen.has(c.work_item_id)) {
      doubleClaims++;
      if (examples.double.length < 5) examples.double.push({ ...c, first_claimer: seen.get(c.work_item_id) });
    } else seen.set(c.work_item_id, c.claimer);
    const created = createdSkill.get(c.work_item_id);
    if (created === undefined) unknownItem++;
    const required = created ?? c.required_skill_level;
    if (!(required in SKILL_RANK) || SKILL_RANK[required] > SKILL_RANK[c.claimer_skill]) {
      skillViolations++;
      if (examples.skill.length < 5) examples.skill.push(c);
    }
    if (created !== undefined && c.required_skill_level !== created) {
      skillMismatches++;
      if (examples.mismatch.length < 5) examples.mismatch.push({ ...c, created_skill: created });
    }
    if (c.returned_botz_id !== c.claimer) {
      wrongOwner++;
      if (examples.owner.length < 5) examples.owner.push(c);
    }
  }
  const claimsMeasured = stats.by_status[200] ?? 0;
  return {
    ...stats,
    claims_per_s: round(claimsMeasured / stats.seconds, 1),
    seed: { instances: claimers.length, work_items: createdSkill.size, seconds: seedSeconds },
    claims_total: claims.length,
    kind: "claims",
    no_claimable_item: noneLeft,
    no_claimable_item_measured: noneLeftMeasured,
    non_200_samples: otherBodies,
    checks: {
      double_claims: doubleClaims,
      skill_violations: skillViolations,
      skill_field_mismatches: skillMismatches,
      missing_work_item_id: missingId,
      wrong_owner_in_response: wrongOwner,
      unknown_work_item_ids: unknownItem,
      examples,
    },
    // run.mjs cross-checks a sample of these through GET /v1/workitems/{id}.
    claims: claims.map((c) => [c.work_item_id, c.claimer, c.claimer_skill]),
    claimers,
  };
}

async function main() {
  const cfg = await readStdin();
  // If the orchestrator dies (Ctrl-C), stop loading at once instead of running out the clock unobserved.
  if (cfg.orchestratorPid) {
    setInterval(() => {
      try {
        process.kill(cfg.orchestratorPid, 0);
      } catch {
        process.exit(1);
      }
    }, 250).unref();
  }
  process.stdout.on("error", () => process.exit(1)); // EPIPE: nobody is reading the result any more
  const originUrl = assertLoopback(cfg.origin);
  cfg.connections = Math.max(1, cfg.connections | 0);
  cfg.warmupMs ??= 1000;
  cfg.durationMs ??= 8000;
  cfg.maxRequests ??= 1_000_000;
  const client = makeClient(cfg.client ?? "undici", originUrl, cfg.connections);
  try {
    // The bus scenarios live in load-publish.mjs; they get this file's machinery rather than importing it.
    const kit = { closedLoop, cpuSample, cpuFigures, percentile, round, parseJson };
    const result =
      cfg.kind === "claims"
        ? await runClaims(cfg, client)
        : cfg.kind === "publish"
          ? await runPublish(cfg, client, kit)
          : cfg.kind === "publish-latency"
            ? await runLatency(cfg, client, kit)
            : cfg.kind === "chat"
              ? await (cfg.loop === "open" ? runChatOpen : runChatClosed)(cfg, client, kit)
              : await runPlain(cfg, client);
    result.client = client.name;
    result.name = cfg.name;
    process.stdout.write(JSON.stringify(result) + "\n");
  } finally {
    await client.close();
  }
}

main().catch((err) => {
  process.stderr.write(`[load] failed: ${err?.stack ?? err}\n`);
  process.exit(1);
});
