/**
 * The model router against fake `Provider` objects (the providers' wire formats are tested elsewhere): plan
 * order, retries with Retry-After, the fallback rule of each failure kind, the misconfigured cooldown, quota
 * exhaustion until the window resets, context-length escalation, the circuit breaker, the overall deadline,
 * the 502 body, streaming fallback before / error element after the first token, and budgets in D1.
 */
import { env } from "cloudflare:workers";
import { afterEach, describe, it } from "vitest";
import { resetBreakerCache } from "../../workers/platform/breaker/breaker";
import { AppError } from "../../workers/platform/errors";
import {
  AllAttemptsFailed,
  allAttemptsFailedError,
  budgetSnapshot,
  costOf,
  executeChat,
  executeChatStream,
  executeEmbed,
  InferenceRejected,
  isExhausted,
  providerGauges,
  providerHealth,
  recordCost,
  refreshSpend,
  windowEnd,
  type ExecuteDeps,
  type ExecutionAttempt,
  type RoutedStreamElement,
} from "../../workers/models/router";
import { resetBudgetCache } from "../../workers/models/router/budgets";
import {
  type ChatRequest,
  type ChatResult,
  type FailureKind,
  type Provider,
  ProviderError,
  type StreamChunk,
} from "../../workers/models/types";
import { uniqueId } from "./helpers";

type ChatFn = (n: number, req: ChatRequest) => Promise<ChatResult>;
type StreamFn = (n: number, req: ChatRequest) => AsyncIterable<StreamChunk>;

interface Fake extends Provider {
  calls: number;
  requests: ChatRequest[];
}

function fake(name: string, chat: ChatFn, stream?: StreamFn): Fake {
  const p: Fake = {
    name,
    type: "openai",
    calls: 0,
    requests: [],
    chat(req) {
      p.calls++;
      p.requests.push(req);
      return chat(p.calls, req);
    },
    chatStream(req) {
      p.calls++;
      p.requests.push(req);
      if (!stream) throw new Error("no stream script");
      return stream(p.calls, req);
    },
    async embed(req) {
      p.calls++;
      const r = await chat(p.calls, { model: req.model, messages: [], params: {}, signal: req.signal });
      return { embeddings: req.input.map(() => [r.content.length, 0.5]), usage: { input_tokens: 7 } };
    },
  };
  return p;
}

const answer =
  (text: string): ChatFn =>
  async () => ({
    content: [{ type: "text", text }],
    usage: { input_tokens: 10, output_tokens: 20 },
    finish_reason: "stop",
  });
const failWith =
  (kind: FailureKind, status?: number, retryAfterMs?: number): ChatFn =>
  async () => {
    throw new ProviderError(kind, `upstream says ${kind}`, status, retryAfterMs);
  };
/** Never answers and ignores its signal: only the router's own timer can end the wait. */
const hang: ChatFn = () => new Promise<ChatResult>(() => undefined);

function plan(p: Provider, over: Partial<ExecutionAttempt> = {}): ExecutionAttempt {
  return {
    variant: `v-${p.name}`,
    provider: p,
    model: `m-${p.name}`,
    tier: "cloud",
    timeouts: { nonStreamingTotalMs: 1000, streamingTtftMs: 300, streamingTotalMs: 5000 },
    retries: { numRetries: 0, maxDelayS: 1 },
    ...over,
  };
}

const held: Promise<unknown>[] = [];
function deps(over: Partial<ExecuteDeps> = {}): ExecuteDeps {
  return { env, defer: (p) => void held.push(p.catch(() => undefined)), functionName: "chat", ...over };
}
afterEach(async () => {
  while (held.length > 0) await held.shift();
});

const request = { messages: [{ role: "user" as const, content: [{ type: "text" as const, text: "hi" }] }], params: {} };
const textOf = (r: ChatResult) => r.content.map((b) => (b.type === "text" ? b.text : "")).join("");

async function rejection(p: Promise<unknown>): Promise<unknown> {
  try {
    await p;
  } catch (err) {
    return err;
  }
  throw new Error("expected a rejection");
}

async function collect(stream: AsyncIterable<RoutedStreamElement>): Promise<RoutedStreamElement[]> {
  const out: RoutedStreamElement[] = [];
  for await (const e of stream) out.push(e);
  return out;
}

describe("model router: order and retries", () => {
  it("should try the plan in order and stop at the first attempt that answers", async ({ expect }) => {
    const local = fake(uniqueId("local"), failWith("server", 500));
    const free = fake(uniqueId("free"), answer("from free"));
    const cloud = fake(uniqueId("cloud"), answer("from cloud"));
    const out = await executeChat(
      [
        plan(local, { tier: "local" }),
        plan(free, { tier: "free", params: { temperature: 0.2, max_tokens: 5 } }),
        plan(cloud),
      ],
      { ...request, params: { max_tokens: 9 } },
      deps(),
    );
    expect(textOf(out.result)).toBe("from free");
    expect(out.attempt).toEqual({
      variant: `v-${free.name}`,
      provider: free.name,
      model: `m-${free.name}`,
      tier: "free",
    });
    expect(out.attempts.map((a) => [a.tier, a.status])).toEqual([
      ["local", "server"],
      ["free", "ok"],
    ]);
    expect(cloud.calls).toBe(0);
    expect(free.requests[0]?.model).toBe(`m-${free.name}`);
    expect(free.requests[0]?.params).toEqual({ temperature: 0.2, max_tokens: 9 });
    expect(out.timings.upstream_ms).toBeGreaterThanOrEqual(0);
  });

  it("should retry a 429 after its Retry-After when that fits max_delay_s and the deadline", async ({ expect }) => {
    const slept: number[] = [];
    const a = fake(uniqueId("limited"), (n) =>
      n === 1 ? failWith("rate_limited", 429, 400)(n, {} as ChatRequest) : answer("second try")(n, {} as ChatRequest),
    );
    const b = fake(uniqueId("backup"), answer("backup"));
    const out = await executeChat(
      [plan(a, { retries: { numRetries: 2, maxDelayS: 1 } }), plan(b)],
      request,
      deps({ sleep: async (ms) => void slept.push(ms) }),
    );
    expect(textOf(out.result)).toBe("second try");
    expect(slept).toEqual([400]);
    expect(out.attempts[0]).toMatchObject({ status: "ok", tries: 2 });
    expect(b.calls).toBe(0);
  });

  it("should fall back at once when a 429's Retry-After is longer than the variant may wait", async ({ expect }) => {
    const slept: number[] = [];
    const a = fake(uniqueId("limited"), failWith("rate_limited", 429, 30_000));
    const b = fake(uniqueId("backup"), answer("backup"));
    const out = await executeChat(
      [plan(a, { retries: { numRetries: 3, maxDelayS: 2 } }), plan(b)],
      request,
      deps({ sleep: async (ms) => void slept.push(ms) }),
    );
    expect(textOf(out.result)).toBe("backup");
    expect(slept).toEqual([]);
    expect(a.calls).toBe(1);
    expect(out.attempts[0]).toMatchObject({ status: "rate_limited", http_status: 429, tries: 1 });
  });

  it("should back off with jitter below max_delay_s between retries of a 5xx", async ({ expect }) => {
    const slept: number[] = [];
    const a = fake(uniqueId("shaky"), failWith("server", 502));
    const b = fake(uniqueId("backup"), answer("backup"));
    const out = await executeChat(
      [plan(a, { retries: { numRetries: 3, maxDelayS: 0.15 } }), plan(b)],
      request,
      deps({ random: () => 0.99, sleep: async (ms) => void slept.push(ms) }),
    );
    expect(a.calls).toBe(4);
    expect(slept).toEqual([99, 148, 148]);
    expect(textOf(out.result)).toBe("backup");
  });
});

describe("model router: fallback rules", () => {
  for (const [kind, status] of [
    ["overloaded", 529],
    ["server", 503],
    ["network", undefined],
    ["stream", 200],
    ["unavailable", undefined],
  ] as const) {
    it(`should fall back to the next attempt on ${kind}`, async ({ expect }) => {
      const a = fake(uniqueId(kind), failWith(kind, status));
      const b = fake(uniqueId("next"), answer("next"));
      const out = await executeChat([plan(a), plan(b)], request, deps());
      expect(textOf(out.result)).toBe("next");
      expect(out.attempts[0]).toMatchObject({ provider: a.name, status: kind, reason: `upstream says ${kind}` });
    });
  }

  it("should time out a provider that never answers and fall back", async ({ expect }) => {
    const a = fake(uniqueId("stuck"), hang);
    const b = fake(uniqueId("next"), answer("next"));
    const start = Date.now();
    const out = await executeChat(
      [plan(a, { timeouts: { nonStreamingTotalMs: 150, streamingTtftMs: 100, streamingTotalMs: 1000 } }), plan(b)],
      request,
      deps(),
    );
    expect(Date.now() - start).toBeGreaterThanOrEqual(140);
    expect(a.requests[0]?.signal.aborted).toBe(true);
    expect(out.attempts[0]).toMatchObject({ status: "timeout" });
    expect(out.attempts[0]?.reason).toContain("150 ms");
    expect(textOf(out.result)).toBe("next");
  });

  it("should mark a provider answering 401 misconfigured, skip it for 10 minutes and show it", async ({ expect }) => {
    let t = Date.now();
    const now = () => t;
    const bad = fake(uniqueId("badkey"), failWith("auth", 401));
    const good = fake(uniqueId("good"), answer("good"));
    const first = await executeChat([plan(bad), plan(good)], request, deps({ now }));
    expect(textOf(first.result)).toBe("good");
    expect(first.attempts[0]).toMatchObject({ status: "auth", http_status: 401 });

    const second = await executeChat([plan(bad), plan(good)], request, deps({ now }));
    expect(bad.calls).toBe(1);
    expect(second.attempts[0]).toMatchObject({ status: "skipped", tries: 0 });
    expect(second.attempts[0]?.reason).toContain("misconfigured");
    const [health] = providerHealth([{ name: bad.name }], env, t);
    expect(health).toMatchObject({ provider: bad.name, state: "misconfigured" });
    const gauges = await providerGauges(() => [{ name: bad.name }, { name: good.name }])(env);
    const stateOf = (p: string) => gauges.find((g) => g.labels?.provider === p && g.value === 1)?.labels?.state;
    expect([stateOf(bad.name), stateOf(good.name)]).toEqual(["misconfigured", "ok"]);

    t += 10 * 60_000 + 1;
    await executeChat([plan(bad), plan(good)], request, deps({ now }));
    expect(bad.calls).toBe(2);
  });

  it("should mark a provider answering 402 exhausted until its budget window resets", async ({ expect }) => {
    let t = Date.now();
    const now = () => t;
    const broke = fake(uniqueId("broke"), (n) =>
      n === 1 ? failWith("quota", 402)(n, {} as ChatRequest) : answer("topped up")(n, {} as ChatRequest),
    );
    const other = fake(uniqueId("other"), answer("other"));
    const attempts = [plan(broke, { budget: { dailyUsd: 5 } }), plan(other)];
    expect(textOf((await executeChat(attempts, request, deps({ now }))).result)).toBe("other");

    t = windowEnd("day", t) - 1;
    const skipped = await executeChat(attempts, request, deps({ now }));
    expect(skipped.attempts[0]).toMatchObject({ status: "skipped" });
    expect(skipped.attempts[0]?.reason).toContain(`until ${new Date(t + 1).toISOString()}`);
    expect(isExhausted(broke.name, { dailyUsd: 5 }, t)).toBe(true);
    expect(providerHealth([{ name: broke.name, budget: { dailyUsd: 5 } }], env, t)[0]?.state).toBe("exhausted");
    expect(broke.calls).toBe(1);

    t += 1;
    expect(textOf((await executeChat(attempts, request, deps({ now }))).result)).toBe("topped up");
  });

  it("should answer 400 with the provider's message and try nothing else on a bad request", async ({ expect }) => {
    const a = fake(uniqueId("strict"), async () => {
      throw new ProviderError("bad_request", "strict: HTTP 400: messages.0.content: must not be empty", 400);
    });
    const b = fake(uniqueId("never"), answer("never"));
    const err = await rejection(executeChat([plan(a), plan(b)], request, deps()));
    expect(err).toBeInstanceOf(InferenceRejected);
    expect(err).toBeInstanceOf(AppError);
    expect(err).toMatchObject({
      status: 400,
      code: "bad_request",
      message: "strict: HTTP 400: messages.0.content: must not be empty",
    });
    expect((err as InferenceRejected).attempts).toHaveLength(1);
    expect(b.calls).toBe(0);
  });

  it("should jump past variants whose window is no larger after a context-length error", async ({ expect }) => {
    const small = fake(uniqueId("small"), failWith("context_length", 400));
    const same = fake(uniqueId("same"), answer("same"));
    const big = fake(uniqueId("big"), answer("big"));
    const out = await executeChat(
      [
        plan(small, { contextWindow: 8192 }),
        plan(same, { contextWindow: 8192 }),
        plan(big, { contextWindow: 131_072 }),
      ],
      request,
      deps(),
    );
    expect(textOf(out.result)).toBe("big");
    expect(same.calls).toBe(0);
    expect(out.attempts.map((a) => a.status)).toEqual(["context_length", "skipped", "ok"]);

    const err = await rejection(
      executeChat([plan(small, { contextWindow: 8192 }), plan(same, { contextWindow: 4096 })], request, deps()),
    );
    expect(err).toMatchObject({ status: 400, code: "context_length_exceeded" });
    expect(same.calls).toBe(0);
  });
});

describe("model router: breaker, deadline and total failure", () => {
  it("should open a failing provider's breaker, skip it, then probe it half-open and close", async ({ expect }) => {
    resetBreakerCache();
    let healthy = false;
    const flaky = fake("flaky-test", (n, req) =>
      healthy ? answer("recovered")(n, req) : failWith("server", 500)(n, req),
    );
    const backup = fake(uniqueId("backup"), answer("backup"));
    const attempts = [plan(flaky), plan(backup)];
    await executeChat(attempts, request, deps());
    await executeChat(attempts, request, deps());
    expect(flaky.calls).toBe(2);

    const open = await executeChat(attempts, request, deps());
    expect(flaky.calls).toBe(2);
    expect(open.attempts[0]).toMatchObject({ status: "skipped", tries: 0 });
    expect(open.attempts[0]?.reason).toContain("circuit breaker open");
    expect(providerHealth([{ name: "flaky-test" }], env)[0]).toMatchObject({ state: "breaker_open", breaker: "open" });

    while (held.length > 0) await held.shift();
    await scheduler.wait(1100);
    healthy = true;
    const probe = await executeChat(attempts, request, deps());
    expect(flaky.calls).toBe(3);
    expect(textOf(probe.result)).toBe("recovered");
    expect(providerHealth([{ name: "flaky-test" }], env)[0]).toMatchObject({ state: "ok", breaker: "closed" });
  });

  it("should start no attempt after the overall deadline, so an all-failing request ends on time", async ({
    expect,
  }) => {
    const stuck = Array.from({ length: 5 }, (_, i) => fake(uniqueId(`stuck${i}`), hang));
    const start = Date.now();
    const err = await rejection(
      executeChat(
        stuck.map((p) =>
          plan(p, { timeouts: { nonStreamingTotalMs: 250, streamingTtftMs: 100, streamingTotalMs: 1000 } }),
        ),
        request,
        deps({ deadlineMs: 600 }),
      ),
    );
    const elapsed = Date.now() - start;
    expect(elapsed).toBeGreaterThanOrEqual(550);
    expect(err).toBeInstanceOf(AllAttemptsFailed);
    const statuses = (err as AllAttemptsFailed).attempts.map((a) => a.status);
    expect(statuses.slice(0, 3)).toEqual(["timeout", "timeout", "timeout"]);
    expect(statuses.slice(3)).toEqual(["skipped", "skipped"]);
    expect((err as AllAttemptsFailed).attempts[4]?.reason).toBe("overall deadline exceeded");
  });

  it("should apply a 10 s deadline by default", async ({ expect }) => {
    let t = Date.now();
    const slow = (name: string) =>
      fake(uniqueId(name), async () => {
        t += 4000;
        throw new ProviderError("server", "slow 500", 500);
      });
    const ps = ["a", "b", "c", "d", "e"].map(slow);
    const err = await rejection(
      executeChat(
        ps.map((p) => plan(p)),
        request,
        deps({ now: () => t }),
      ),
    );
    expect(ps.map((p) => p.calls)).toEqual([1, 1, 1, 0, 0]);
    expect((err as AllAttemptsFailed).attempts.map((a) => a.status)).toEqual([
      "server",
      "server",
      "server",
      "skipped",
      "skipped",
    ]);
  });

  it("should fail with every attempt listed, rendered as a 502 body", async ({ expect }) => {
    const a = fake(uniqueId("a"), failWith("overloaded", 529));
    const b = fake(uniqueId("b"), failWith("auth", 403));
    const c = fake(uniqueId("c"), failWith("network"));
    const err = await rejection(
      executeChat([plan(a, { tier: "local" }), plan(b, { tier: "plans" }), plan(c)], request, deps()),
    );
    expect(err).toBeInstanceOf(AllAttemptsFailed);
    const appError = allAttemptsFailedError(err as AllAttemptsFailed);
    expect(appError.status).toBe(502);
    expect(appError.code).toBe("all_attempts_failed");
    expect(appError.details).toEqual({
      attempts: [
        {
          variant: `v-${a.name}`,
          provider: a.name,
          tier: "local",
          status: "overloaded",
          reason: "upstream says overloaded",
        },
        { variant: `v-${b.name}`, provider: b.name, tier: "plans", status: "auth", reason: "upstream says auth" },
        { variant: `v-${c.name}`, provider: c.name, tier: "cloud", status: "network", reason: "upstream says network" },
      ],
    });
  });

  it("should fall back for embeddings too", async ({ expect }) => {
    const a = fake(uniqueId("embed-down"), failWith("unavailable"));
    const b = fake(uniqueId("embed-up"), answer("x"));
    const out = await executeEmbed(
      [plan(a, { tier: "local" }), plan(b, { prices: { inputPerMillion: 1, outputPerMillion: 0 } })],
      { input: ["a", "b"] },
      deps(),
    );
    expect(out.result.embeddings).toHaveLength(2);
    expect(out.attempt.provider).toBe(b.name);
    expect(out.cost_usd).toBeCloseTo(7 / 1_000_000);
  });
});

async function* chunks(
  list: StreamChunk[],
  then?: { error: ProviderError } | { hangMs: number },
): AsyncIterable<StreamChunk> {
  for (const c of list) yield c;
  if (then && "error" in then) throw then.error;
  if (then && "hangMs" in then) await scheduler.wait(then.hangMs);
}

describe("model router: streaming", () => {
  it("should fall back transparently when a stream fails before its first content delta", async ({ expect }) => {
    const a = fake(uniqueId("s-early"), hang, () =>
      chunks([{ type: "usage", usage: { input_tokens: 5, output_tokens: 0 } }], {
        error: new ProviderError("overloaded", "overloaded mid-preamble"),
      }),
    );
    const b = fake(uniqueId("s-ok"), hang, () =>
      chunks([
        { type: "text_delta", text: "Hel" },
        { type: "text_delta", text: "lo" },
        { type: "usage", usage: { input_tokens: 4, output_tokens: 2 } },
        { type: "finish", finish_reason: "stop" },
      ]),
    );
    const out = await executeChatStream([plan(a), plan(b)], request, deps());
    expect(out.attempt.provider).toBe(b.name);
    expect(out.attempts.map((x) => x.status)).toEqual(["overloaded", "ok"]);
    expect(await collect(out.stream)).toEqual([
      { type: "text_delta", text: "Hel" },
      { type: "text_delta", text: "lo" },
      { type: "usage", usage: { input_tokens: 4, output_tokens: 2 } },
      { type: "finish", finish_reason: "stop" },
    ]);
    expect(await out.done).toMatchObject({
      usage: { input_tokens: 4, output_tokens: 2 },
      finish_reason: "stop",
      error: undefined,
    });
  });

  it("should fall back when the first token is slower than ttft_ms", async ({ expect }) => {
    const a = fake(uniqueId("s-slow"), hang, () => chunks([], { hangMs: 2000 }));
    const b = fake(uniqueId("s-fast"), hang, () =>
      chunks([
        { type: "text_delta", text: "fast" },
        { type: "finish", finish_reason: "stop" },
      ]),
    );
    const out = await executeChatStream(
      [plan(a, { timeouts: { nonStreamingTotalMs: 5000, streamingTtftMs: 120, streamingTotalMs: 5000 } }), plan(b)],
      request,
      deps(),
    );
    expect(out.attempts[0]).toMatchObject({ status: "timeout" });
    expect(out.attempts[0]?.reason).toContain("time to first token");
    expect(out.timings.ttft_ms).toBeGreaterThanOrEqual(110);
    expect((await collect(out.stream))[0]).toEqual({ type: "text_delta", text: "fast" });
  });

  it("should end the stream with an error element and the usage so far when it fails after the first delta", async ({
    expect,
  }) => {
    const a = fake(uniqueId("s-cut"), hang, () =>
      chunks(
        [
          { type: "text_delta", text: "Hello " },
          { type: "usage", usage: { input_tokens: 12, output_tokens: 3 } },
        ],
        { error: new ProviderError("stream", "connection cut") },
      ),
    );
    const b = fake(uniqueId("s-never"), hang, () => chunks([{ type: "text_delta", text: "never" }]));
    const out = await executeChatStream(
      [plan(a, { prices: { inputPerMillion: 1_000_000, outputPerMillion: 2_000_000 } }), plan(b)],
      request,
      deps(),
    );
    const elements = await collect(out.stream);
    expect(elements).toEqual([
      { type: "text_delta", text: "Hello " },
      { type: "usage", usage: { input_tokens: 12, output_tokens: 3 } },
      { type: "error", kind: "stream", message: "connection cut", usage: { input_tokens: 12, output_tokens: 3 } },
    ]);
    expect(b.calls).toBe(0);
    const done = await out.done;
    expect(done.error).toEqual({ kind: "stream", message: "connection cut" });
    expect(done.cost_usd).toBe(18);
    expect(out.attempts[0]?.status).toBe("stream");
  });
});

describe("model router: budgets", () => {
  it("should price usage per million tokens", ({ expect }) => {
    expect(
      costOf({ input_tokens: 1000, output_tokens: 500 }, { inputPerMillion: 3, outputPerMillion: 15 }),
    ).toBeCloseTo(0.0105);
    expect(costOf({ input_tokens: 1000, output_tokens: 500 }, undefined)).toBe(0);
  });

  it("should debit recorded cost per UTC day and month and reset with each window", async ({ expect }) => {
    const p = uniqueId("budget");
    const budget = { dailyUsd: 1, monthlyUsd: 1.5 };
    const jan10 = Date.UTC(2031, 0, 10, 12);
    const jan11 = Date.UTC(2031, 0, 11, 9);
    const feb1 = Date.UTC(2031, 1, 1, 0, 0, 1);
    await recordCost(env, p, 1, jan10);
    expect(isExhausted(p, budget, jan10)).toBe(true);
    expect(isExhausted(p, budget, jan11)).toBe(false);
    await recordCost(env, p, 0.6, jan11);
    expect(isExhausted(p, budget, jan11)).toBe(true);
    expect(budgetSnapshot(p, budget, jan11)).toMatchObject({
      day: { window: "day:2031-01-11", spent_usd: 0.6 },
      month: { window: "month:2031-01", remaining_usd: 0 },
    });
    expect(isExhausted(p, budget, feb1)).toBe(false);

    const rows = await env.DB.prepare("SELECT window, cost FROM provider_spend WHERE provider = ? ORDER BY window")
      .bind(p)
      .all<{ window: string; cost: number }>();
    expect(rows.results.map((r) => [r.window, Math.round(r.cost * 100) / 100])).toEqual([
      ["day:2031-01-10", 1],
      ["day:2031-01-11", 0.6],
      ["month:2031-01", 1.6],
    ]);

    // A fresh isolate knows nothing until its off-path refresh reads D1.
    resetBudgetCache();
    expect(isExhausted(p, budget, jan11)).toBe(false);
    await refreshSpend(env, jan11);
    expect(isExhausted(p, budget, jan11)).toBe(true);
  });

  it("should charge served inferences to the provider's budget, write it to D1 off the request path, and skip it once spent", async ({
    expect,
  }) => {
    const spender = fake(uniqueId("spender"), answer("paid"));
    const free = fake(uniqueId("free"), answer("free"));
    const attempts = [
      plan(spender, { prices: { inputPerMillion: 20_000, outputPerMillion: 20_000 }, budget: { dailyUsd: 0.5 } }),
      plan(free),
    ];
    const first = await executeChat(attempts, request, deps());
    expect(first.cost_usd).toBeCloseTo(0.6);
    const second = await executeChat(attempts, request, deps());
    expect(second.attempt.provider).toBe(free.name);
    expect(second.attempts[0]?.reason).toContain("daily budget");

    while (held.length > 0) await held.shift();
    const row = await env.DB.prepare("SELECT cost FROM provider_spend WHERE provider = ? AND window LIKE 'day:%'")
      .bind(spender.name)
      .first<{ cost: number }>();
    expect(row?.cost).toBeCloseTo(0.6);
  });
});
