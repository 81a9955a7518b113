// The bus scenarios of the load generator (test/bench/load.mjs runs them in its own process). It owns:
// publish throughput (closed loop, one event or a batch of events per request, counting only the events the
// Worker accepted) and publish → live-subscriber latency (an open-loop publisher and a WebSocket subscriber
// in this one process, so send and receive times come from the same clock), with the delivery checks: every
// accepted event received exactly once, and stored once in history by the queue consumer.
//
// Shared machinery (closed loop, CPU accounting, statistics) is handed in as `kit` by load.mjs, so this
// module has no import cycle with the process entry point.
import http from "node:http";
import { performance } from "node:perf_hooks";
import { randomBytes } from "node:crypto";

const PAD = "x".repeat(200); // ~200 bytes of payload per event, so an event is ~300 bytes on the wire
const LATENCY_SUBJECT = "bench.latency.v1";

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

function loadEvent(i) {
  return { type: "bench.load.v1", source: "bench", payload: { i, pad: PAD } };
}

/** Keeps up to `limit` samples of an unexpected answer per status, to show what the Worker said. */
function sampler(limit = 3) {
  const samples = {};
  return {
    samples,
    add(status, text) {
      const list = (samples[status] ??= []);
      if (list.length < limit) list.push(String(text ?? "").slice(0, 300));
    },
  };
}

// ---------------------------------------------------------------------------------------------------------
// Throughput: `batch` events per request (batch 1 = the single-event form, answered 202).
// ---------------------------------------------------------------------------------------------------------

export async function runPublish(cfg, client, kit) {
  const batch = cfg.batch ?? 1;
  const okStatus = batch === 1 ? 202 : 200;
  const headers = { ...(cfg.headers ?? {}), "content-type": "application/json" };
  // One body per connection, built once: the generator's CPU goes to sending, not to JSON.stringify.
  const bodies = Array.from({ length: cfg.connections }, (_, conn) => {
    if (batch === 1) return JSON.stringify(loadEvent(conn));
    return JSON.stringify({ events: Array.from({ length: batch }, (_, k) => loadEvent(conn * batch + k)) });
  });
  const other = sampler();
  const rejections = sampler();
  let acceptedMeasured = 0;
  let acceptedTotal = 0;
  let rejectedTotal = 0;
  let malformed = 0; // a 200 whose body is not {accepted, rejected, results} adding up to the batch
  const req = (conn) => ({ method: "POST", path: "/api/v1/events", headers, body: bodies[conn], wantBody: batch > 1 });
  const onResponse = (_conn, _req, res, measured) => {
    if (res.status !== okStatus) return other.add(res.status, res.text);
    let accepted = 1;
    if (batch > 1) {
      const b = kit.parseJson(res.text);
      if (typeof b?.accepted !== "number" || typeof b?.rejected !== "number" || b.accepted + b.rejected !== batch) {
        malformed++;
        return other.add(`${res.status}-malformed`, res.text);
      }
      accepted = b.accepted;
      rejectedTotal += b.rejected;
      if (b.rejected > 0) rejections.add("rejected", JSON.stringify(b.results?.find((r) => r.status === "rejected")));
    }
    acceptedTotal += accepted;
    if (measured) acceptedMeasured += accepted;
  };
  const stats = await kit.closedLoop(client, cfg, req, onResponse);
  return {
    ...stats,
    kind: "publish",
    ok_status: okStatus,
    events_per_request: batch,
    events_per_s: kit.round(acceptedMeasured / stats.seconds, 1),
    // Per accepted event rather than per request, so batch and single-event rows compare.
    server_cpu_us_per_event:
      stats.server_cpu_us_per_req == null
        ? null
        : Math.round((stats.server_cpu_us_per_req * stats.count) / Math.max(1, acceptedMeasured)),
    accepted_total: acceptedTotal,
    rejected_total: rejectedTotal,
    malformed_responses: malformed,
    non_200_samples: other.samples,
    rejection_samples: rejections.samples,
  };
}

// ---------------------------------------------------------------------------------------------------------
// Latency: publish → live subscriber over WebSocket.
// ---------------------------------------------------------------------------------------------------------

/** Why a WebSocket did not open: the same request over plain HTTP, to report the status and body. */
function probeUpgrade(url, headers) {
  return new Promise((resolve) => {
    const u = new URL(url.replace(/^ws/, "http"));
    const r = http.request(
      {
        host: u.hostname,
        port: u.port,
        path: u.pathname + u.search,
        headers: {
          ...headers,
          connection: "Upgrade",
          upgrade: "websocket",
          "sec-websocket-version": "13",
          "sec-websocket-key": randomBytes(16).toString("base64"),
        },
      },
      (res) => {
        let text = "";
        res.setEncoding("utf8");
        res.on("data", (d) => (text += d));
        res.on("end", () => resolve(`HTTP ${res.statusCode} ${text.slice(0, 300)}`));
      },
    );
    r.on("upgrade", (_res, socket) => {
      socket.destroy();
      resolve("HTTP 101 on a second try");
    });
    r.on("error", (err) => resolve(`probe failed: ${err.message}`));
    r.setTimeout(5000, () => r.destroy(new Error("timeout")));
    r.end();
  });
}

/** Opens the subscriber; Node 22's WebSocket (undici) takes headers, so the token goes in Authorization. */
async function openSubscriber(origin, headers, onFrame) {
  const url = `${origin.replace(/^http/, "ws")}/api/v1/events/stream?subject=${encodeURIComponent(LATENCY_SUBJECT)}`;
  const ws = new WebSocket(url, { headers });
  const closed = { code: null, reason: null };
  ws.addEventListener("message", (e) => onFrame(process.hrtime.bigint(), e.data));
  ws.addEventListener("close", (e) => Object.assign(closed, { code: e.code, reason: e.reason }));
  const opened = await new Promise((resolve) => {
    const timer = setTimeout(() => resolve(false), 5000);
    ws.addEventListener("open", () => (clearTimeout(timer), resolve(true)), { once: true });
    ws.addEventListener("error", () => (clearTimeout(timer), resolve(false)), { once: true });
  });
  if (!opened) {
    ws.close();
    throw new Error(`GET /api/v1/events/stream did not switch to a WebSocket: ${await probeUpgrade(url, headers)}`);
  }
  return { ws, closed };
}

export async function runLatency(cfg, client, kit) {
  const rate = cfg.ratePerS ?? 200;
  const intervalMs = 1000 / rate;
  const total = Math.round(((cfg.warmupMs + cfg.durationMs) / 1000) * rate);
  const warmupCount = Math.round((cfg.warmupMs / 1000) * rate);
  const run = randomBytes(6).toString("hex"); // marks this run's events, so nothing else is counted
  const headers = { ...(cfg.headers ?? {}), "content-type": "application/json" };

  // Subscriber side: per event index, how often it arrived and how long it took.
  const received = new Uint16Array(total);
  const latency = new Float64Array(total).fill(NaN);
  const seqs = new Set();
  let frames = 0;
  let duplicateSeqs = 0;
  let outOfOrder = 0;
  let lastSeq = -1;
  let foreign = 0; // matching events of another run (there should be none: storage is fresh)
  const odd = sampler(); // frames that are neither events nor arrays of events
  const onFrame = (at, data) => {
    frames++;
    let parsed;
    try {
      parsed = JSON.parse(String(data));
    } catch {
      return odd.add("not-json", data);
    }
    for (const f of Array.isArray(parsed) ? parsed : [parsed]) {
      const p = f?.event?.payload;
      if (typeof f?.seq !== "number" || !p) {
        odd.add("not-an-event", JSON.stringify(f));
        continue;
      }
      if (seqs.has(f.seq)) duplicateSeqs++;
      seqs.add(f.seq);
      if (f.seq < lastSeq) outOfOrder++;
      lastSeq = Math.max(lastSeq, f.seq);
      if (p.run !== run || !(p.i >= 0 && p.i < total)) {
        foreign++;
        continue;
      }
      received[p.i]++;
      if (received[p.i] === 1) latency[p.i] = Number(at - BigInt(p.sent_at_ns)) / 1e6;
    }
  };
  const { ws, closed } = await openSubscriber(cfg.origin, cfg.headers ?? {}, onFrame);

  // Publisher side: open loop, event i due at t0 + i/rate whatever the answers; send time stamped in the body.
  const accepted = new Uint8Array(total);
  const publishLat = [];
  const byStatus = {};
  const netErrors = {};
  const other = sampler();
  let maxLagMs = 0;
  const sendOne = async (i, conn) => {
    const sent = process.hrtime.bigint();
    const body = JSON.stringify({
      type: LATENCY_SUBJECT,
      source: "bench",
      payload: { run, i, sent_at_ns: String(sent) },
    });
    try {
      const res = await client.send(conn, { method: "POST", path: "/api/v1/events", headers, body, wantBody: true });
      byStatus[res.status] = (byStatus[res.status] ?? 0) + 1;
      if (res.status === 202) accepted[i] = 1;
      else other.add(res.status, res.text);
      if (i >= warmupCount) publishLat.push(Number(process.hrtime.bigint() - sent) / 1e6);
    } catch (err) {
      const code = err?.code ?? err?.name ?? "error";
      netErrors[code] = (netErrors[code] ?? 0) + 1;
    }
  };
  const inflight = [];
  const t0 = performance.now();
  let cpuA = null;
  let ownA = null;
  for (let i = 0; i < total; i++) {
    const due = t0 + i * intervalMs;
    const wait = due - performance.now();
    if (wait >= 1) await sleep(wait);
    maxLagMs = Math.max(maxLagMs, performance.now() - due);
    if (i === warmupCount) {
      cpuA = kit.cpuSample(cfg.serverPids ?? [], cfg.orchestratorPid);
      ownA = process.cpuUsage();
    }
    inflight.push(sendOne(i, i % cfg.connections));
  }
  await Promise.all(inflight);
  const sendSeconds = (performance.now() - t0) / 1000;
  const acceptedCount = accepted.reduce((a, b) => a + b, 0);
  const arrived = () => received.reduce((n, c, i) => n + (accepted[i] && c > 0 ? 1 : 0), 0);
  const liveDeadline = performance.now() + (cfg.drainMs ?? 5000);
  while (arrived() < acceptedCount && performance.now() < liveDeadline) await sleep(20);
  const cpuB = kit.cpuSample(cfg.serverPids ?? [], cfg.orchestratorPid);
  const own = ownA ? process.cpuUsage(ownA) : null;
  const liveSeconds = (performance.now() - t0) / 1000;

  // The queue path hands every event to the stream a second time; wait until history has them all (the
  // consumer writes history, then re-appends), then a little more, so a copy the stream failed to drop shows.
  const history = await waitForHistory(cfg, client, run, acceptedCount, kit);
  await sleep(cfg.duplicateGraceMs ?? 750);
  ws.close(1000, "bench done");

  let lost = 0;
  let duplicated = 0;
  let unexpected = 0; // delivered although its publish was not accepted
  const measured = [];
  for (let i = 0; i < total; i++) {
    if (accepted[i] && received[i] === 0) lost++;
    if (received[i] > 1) duplicated++;
    if (!accepted[i] && received[i] > 0) unexpected++;
    if (i >= warmupCount && received[i] > 0 && accepted[i]) measured.push(latency[i]);
  }
  measured.sort((a, b) => a - b);
  publishLat.sort((a, b) => a - b);
  const pct = (arr) => ({
    p50: kit.percentile(arr, 50),
    p95: kit.percentile(arr, 95),
    p99: kit.percentile(arr, 99),
    p999: kit.percentile(arr, 99.9),
    max: arr.length ? kit.round(arr[arr.length - 1]) : null,
    mean: arr.length ? kit.round(arr.reduce((a, b) => a + b, 0) / arr.length) : null,
  });
  const measuredSeconds = Math.max(1e-9, cfg.durationMs / 1000);
  return {
    kind: "publish-latency",
    ok_status: 202,
    subject: LATENCY_SUBJECT,
    connections: cfg.connections,
    rate_per_s: rate,
    warmup_ms: cfg.warmupMs,
    duration_ms: cfg.durationMs,
    publisher_max_lag_ms: kit.round(maxLagMs),
    send_seconds: kit.round(sendSeconds),
    sent: total,
    accepted: acceptedCount,
    received: arrived(),
    measured_events: measured.length,
    lost,
    duplicated,
    unexpected,
    duplicate_seqs: duplicateSeqs,
    out_of_order_seqs: outOfOrder,
    foreign_events: foreign,
    frames,
    odd_frames: odd.samples,
    socket_closed_early: closed.code !== null && closed.code !== 1000 ? closed : null,
    history,
    // When in the run the slowest deliveries were sent: periodic spikes point at batched background work.
    slowest: [...latency.keys()]
      .filter((i) => i >= warmupCount && accepted[i] && received[i] > 0)
      .sort((a, b) => latency[b] - latency[a])
      .slice(0, 15)
      .map((i) => ({ sent_at_ms: Math.round(i * intervalMs), ms: kit.round(latency[i], 2) })),
    // Table shape: delivered events/s and publish → subscriber latency; the baseline is the publish itself.
    rps: kit.round(measured.length / measuredSeconds, 1),
    latency_ms: pct(measured),
    publish_latency_ms: pct(publishLat),
    by_status: byStatus,
    network_errors: netErrors,
    non_200_samples: other.samples,
    ...kit.cpuFigures(cpuA, cpuB, measured.length),
    generator_cpu_pct:
      own && cpuA && cpuB ? kit.round(((own.user + own.system) / 1000 / (cpuB.at - cpuA.at)) * 100, 1) : null,
    live_seconds: kit.round(liveSeconds),
  };
}

/** Polls history until it holds every accepted event of this run (or the deadline): the queue path's proof. */
async function waitForHistory(cfg, client, run, expected, kit) {
  const started = performance.now();
  const deadline = started + (cfg.historyWaitMs ?? 15000);
  let last = { stored: 0, duplicates: 0, error: null };
  while (performance.now() < deadline) {
    last = await countHistory(cfg, client, run, kit);
    if (last.error || last.stored >= expected) break;
    await sleep(250);
  }
  return { expected, ...last, waited_s: kit.round((performance.now() - started) / 1000) };
}

async function countHistory(cfg, client, run, kit) {
  const seen = new Set();
  let duplicates = 0;
  let cursor = null;
  for (let page = 0; page < 50; page++) {
    const q = new URLSearchParams({ subject: LATENCY_SUBJECT, limit: "1000" });
    if (cursor) q.set("cursor", cursor);
    const res = await client.send(0, {
      method: "GET",
      path: `/api/v1/events?${q}`,
      headers: cfg.headers ?? {},
      wantBody: true,
    });
    const body = kit.parseJson(res.text);
    if (res.status !== 200 || !Array.isArray(body?.events))
      return {
        stored: seen.size,
        duplicates,
        error: `GET /api/v1/events: HTTP ${res.status} ${String(res.text).slice(0, 300)}`,
      };
    for (const e of body.events) {
      if (e?.payload?.run !== run) continue;
      if (seen.has(e.payload.i)) duplicates++;
      seen.add(e.payload.i);
    }
    cursor = body.next_cursor;
    if (!cursor) break;
  }
  return { stored: seen.size, duplicates, error: null };
}
