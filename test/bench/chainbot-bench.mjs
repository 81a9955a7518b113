// The ChainBot part of `npm run bench`, used by run.mjs (issue 9). Both scenarios drive botplane through its
// public routes and read the execution objects' own timings back, beside /healthz measured in the same run:
// - chainbot-steps: per-step overhead of a 100-step sequential workflow of `transform` steps. Each step's
//   record says how long its work took (duration_ms: the expression) and when it started and finished, so the
//   run splits into time inside steps and time between them (commit of the result, the step events into the
//   outbox, the next step's start). A 1-step workflow run the same way gives the fixed cost per execution
//   (admission, the object's alarm, the started/completed events), which the per-step figure excludes.
// - chainbot-throughput@100: 100 small executions (2 transform steps) started by 100 concurrent execute
//   calls, timed from the first call to the last completion (polled through the per-workflow list).
const STEPS = 100;
const RUNS = 5;
const CONCURRENT = 100;
const TARGET_PER_STEP_MS = 5;
export const CHAINBOT_SCENARIOS = ["chainbot-steps", "chainbot-throughput@100"];

async function call(origin, token, method, path, body) {
  const res = await fetch(`${origin}${path}`, {
    method,
    headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const text = await res.text();
  let json = null;
  try {
    json = JSON.parse(text);
  } catch {}
  if (res.status >= 400) throw new Error(`${method} ${path}: HTTP ${res.status} ${text.slice(0, 300)}`);
  return json;
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const pct = (xs, p) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length ? s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))] : null;
};
const round = (x, d = 3) => (x === null ? null : Math.round(x * 10 ** d) / 10 ** d);

async function createWorkflow(origin, token, name, steps, extra = {}) {
  return (await call(origin, token, "POST", "/api/chainbot/workflows", { name, steps, ...extra })).id;
}

function chain(n) {
  return Array.from({ length: n }, (_, i) => ({
    id: `s${i}`,
    type: "transform",
    output: i === 0 ? "${input.x} + 1" : `\${s${i - 1}} + 1`,
  }));
}

async function runToEnd(origin, token, workflowId, input) {
  const t0 = performance.now();
  const { execution_id } = await call(origin, token, "POST", `/api/chainbot/workflows/${workflowId}/execute`, {
    input_data: input,
  });
  for (;;) {
    const e = await call(origin, token, "GET", `/api/chainbot/executions/${execution_id}`);
    if (e.status === "completed") return { e, wallMs: performance.now() - t0 };
    if (e.status === "failed" || e.status === "cancelled")
      throw new Error(`execution ${e.status}: ${JSON.stringify(e.error)}`);
    await sleep(5);
  }
}

async function healthz(origin, n = 200) {
  const ms = [];
  for (let i = 0; i < n; i++) {
    const t0 = performance.now();
    const res = await fetch(`${origin}/healthz`);
    await res.arrayBuffer();
    ms.push(performance.now() - t0);
  }
  return { p50: round(pct(ms, 50)), p99: round(pct(ms, 99)) };
}

async function stepsScenario(origin, token, log) {
  const long = await createWorkflow(origin, token, "bench-100-steps", chain(STEPS));
  const short = await createWorkflow(origin, token, "bench-1-step", chain(1));
  await runToEnd(origin, token, long, { x: 0 }); // warm-up: isolates, objects, caches
  await runToEnd(origin, token, short, { x: 0 });
  const perStep = [];
  const inside = [];
  const between = [];
  const fixed = [];
  const wall = [];
  for (let r = 0; r < RUNS; r++) {
    const { e, wallMs } = await runToEnd(origin, token, long, { x: r });
    if (e.output?.[`s${STEPS - 1}`] !== r + STEPS)
      throw new Error(`wrong result ${JSON.stringify(e.output?.[`s${STEPS - 1}`])}`);
    const steps = e.steps;
    const first = Date.parse(steps[0].started_at);
    const last = Date.parse(steps[steps.length - 1].finished_at);
    perStep.push((last - first) / STEPS);
    inside.push(steps.reduce((n, s) => n + (s.duration_ms ?? 0), 0) / STEPS);
    between.push((last - first - steps.reduce((n, s) => n + (s.duration_ms ?? 0), 0)) / STEPS);
    wall.push(wallMs);
    const one = await runToEnd(origin, token, short, { x: r });
    fixed.push(one.wallMs);
  }
  const beside = await healthz(origin);
  const p50 = pct(perStep, 50);
  const figures = {
    kind: "chainbot-steps",
    steps: STEPS,
    runs: RUNS,
    per_step_ms: { p50: round(p50), max: round(Math.max(...perStep)) },
    inside_step_ms: round(pct(inside, 50)),
    between_steps_ms: round(pct(between, 50)),
    execution_wall_ms: { p50: round(pct(wall, 50), 1) },
    one_step_execution_wall_ms: { p50: round(pct(fixed, 50), 1) },
    healthz_ms: beside,
    target_per_step_ms: TARGET_PER_STEP_MS,
    ok: p50 !== null && p50 < TARGET_PER_STEP_MS,
  };
  log(`chainbot-steps: ${JSON.stringify(figures)}`);
  return figures;
}

async function throughputScenario(origin, token, log) {
  const wf = await createWorkflow(
    origin,
    token,
    "bench-small",
    [
      { id: "a", type: "transform", output: "${input.i} * 2" },
      { id: "b", type: "transform", output: "${a} + 1" },
    ],
    { max_concurrent_executions: CONCURRENT },
  );
  await runToEnd(origin, token, wf, { i: -1 });
  const t0 = performance.now();
  const callMs = [];
  const started = await Promise.all(
    Array.from({ length: CONCURRENT }, async (_, i) => {
      const c0 = performance.now();
      const r = await call(origin, token, "POST", `/api/chainbot/workflows/${wf}/execute`, { input_data: { i } });
      callMs.push(performance.now() - c0);
      return r;
    }),
  );
  const queued = started.filter((s) => s.status !== "running").length;
  for (;;) {
    const page = await call(
      origin,
      token,
      "GET",
      `/api/chainbot/workflows/${wf}/executions?status=completed&limit=200`,
    );
    const completed = page.executions.length;
    if (completed >= CONCURRENT + 1) break;
    if (performance.now() - t0 > 60_000) throw new Error(`only ${completed - 1} of ${CONCURRENT} completed in 60 s`);
    await sleep(10);
  }
  const seconds = (performance.now() - t0) / 1000;
  const beside = await healthz(origin);
  const figures = {
    kind: "chainbot-throughput",
    executions: CONCURRENT,
    queued_at_start: queued,
    seconds: round(seconds),
    executions_per_s: round(CONCURRENT / seconds, 1),
    execute_call_ms: { p50: round(pct(callMs, 50), 1), p99: round(pct(callMs, 99), 1) },
    healthz_ms: beside,
  };
  log(`chainbot-throughput@100: ${JSON.stringify(figures)}`);
  return figures;
}

/** Runs one ChainBot scenario against botplane; `token` is an admin bench token. */
export async function runChainbot(name, origin, token, log) {
  if (name === "chainbot-steps") return stepsScenario(origin, token, log);
  return throughputScenario(origin, token, log);
}

export function chainbotFailures(scenarios) {
  const s = scenarios["chainbot-steps"];
  if (s && !s.error && !s.ok)
    return [`chainbot per-step overhead p50 ${s.per_step_ms.p50} ms is not under ${TARGET_PER_STEP_MS} ms`];
  return [];
}

export function chainbotSummary(r) {
  const out = [];
  const s = r["chainbot-steps"];
  if (s && !s.error)
    out.push(
      `chainbot: ${s.steps}-step transform workflow ${s.per_step_ms.p50} ms/step p50 (target < ${s.target_per_step_ms}; ` +
        `inside steps ${s.inside_step_ms}, between ${s.between_steps_ms}); 1-step execution end to end ` +
        `${s.one_step_execution_wall_ms.p50} ms; healthz p50 ${s.healthz_ms.p50} ms`,
    );
  else if (s?.error) out.push(`chainbot-steps FAILED: ${s.error}`);
  const t = r["chainbot-throughput@100"];
  if (t && !t.error)
    out.push(
      `chainbot: ${t.executions} concurrent small executions in ${t.seconds} s = ${t.executions_per_s}/s ` +
        `(execute call p50 ${t.execute_call_ms.p50} ms, p99 ${t.execute_call_ms.p99} ms; healthz p50 ${t.healthz_ms.p50} ms)`,
    );
  else if (t?.error) out.push(`chainbot-throughput@100 FAILED: ${t.error}`);
  return out;
}
