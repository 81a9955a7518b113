// Optional CPU profile for `npm run bench` (BENCH_PROFILE=<scenario>, e.g. gateway@50): attaches to workerd's
// V8 inspector (Miniflare's `inspectorPort: 0`), records botplane's isolate during that one scenario, writes
// test/bench/results/<scenario>.cpuprofile (open it in Chrome DevTools) and summarizes self time by
// function and by source area. It owns nothing else; without the knob the inspector is never opened, so
// normal figures carry no inspector overhead. The profiled run's own figures are slowed by the sampling.
function connect(url) {
  const ws = new WebSocket(url);
  let nextId = 1;
  const pending = new Map();
  ws.addEventListener("message", (e) => {
    const msg = JSON.parse(String(e.data));
    const p = pending.get(msg.id);
    if (!p) return;
    pending.delete(msg.id);
    if (msg.error) p.reject(new Error(msg.error.message));
    else p.resolve(msg.result);
  });
  const send = (method, params = {}) =>
    new Promise((resolve, reject) => {
      const id = nextId++;
      pending.set(id, { resolve, reject });
      ws.send(JSON.stringify({ id, method, params }));
    });
  return new Promise((resolve, reject) => {
    ws.addEventListener("open", () => resolve({ send, close: () => ws.close() }), { once: true });
    ws.addEventListener("error", () => reject(new Error(`inspector websocket ${url} failed`)), { once: true });
  });
}

/** Starts sampling the isolate of `workerName`; returns `stop()` resolving to the V8 profile. */
export async function startProfile(inspectorUrl, workerName) {
  const list = await (await fetch(`http://${new URL(inspectorUrl).host}/json/list`)).json();
  const target = list.find((t) => `${t.title} ${t.url} ${t.webSocketDebuggerUrl}`.includes(workerName)) ?? null;
  if (!target) throw new Error(`no inspector target for ${workerName}: ${JSON.stringify(list.map((t) => t.title))}`);
  const session = await connect(target.webSocketDebuggerUrl.replace("localhost", "127.0.0.1"));
  await session.send("Profiler.enable");
  await session.send("Profiler.setSamplingInterval", { interval: 200 });
  await session.send("Profiler.start");
  return async () => {
    const { profile } = await session.send("Profiler.stop");
    session.close();
    return profile;
  };
}

/** Which part of the bundle a frame belongs to, from its function name and (bundled) position. */
function areaOf(node) {
  const f = node.callFrame;
  if (f.url === "" || f.functionName === "(garbage collector)") return f.functionName || "(native)";
  return f.functionName ? `js: ${f.functionName}` : "js: (anonymous)";
}

/** Top functions by self time; `total_ms` is the profile's whole span, idle included. */
export function summarizeProfile(profile, top = 25) {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const self = new Map();
  const dt = profile.timeDeltas;
  for (let i = 0; i < profile.samples.length; i++) {
    const node = byId.get(profile.samples[i]);
    const key =
      `${areaOf(node)} ${node.callFrame.url ? `${node.callFrame.url.split("/").pop()}:${node.callFrame.lineNumber + 1}` : ""}`.trim();
    self.set(key, (self.get(key) ?? 0) + (dt[i + 1] ?? 0));
  }
  const totalUs = profile.endTime - profile.startTime;
  const idle = [...self].filter(([k]) => k.startsWith("(idle)")).reduce((a, [, v]) => a + v, 0);
  const busyUs = totalUs - idle;
  const rows = [...self]
    .filter(([k]) => !k.startsWith("(idle)"))
    .sort((a, b) => b[1] - a[1])
    .slice(0, top)
    .map(([fn, us]) => ({ fn, ms: Math.round(us / 100) / 10, pct_of_busy: Math.round((us / busyUs) * 1000) / 10 }));
  return { total_ms: Math.round(totalUs / 1000), busy_ms: Math.round(busyUs / 1000), top: rows };
}
