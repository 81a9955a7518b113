/**
 * The one circuit breaker: its pure state machine (closed → open → half_open → closed, probes limited, a
 * failed probe reopening), the seed's per-component policies and the override var, the per-isolate cache
 * answering without I/O and converging through the BreakerBoard, the board's durability and its ERROR
 * event, and the state gauge on `/metrics`.
 */
import { env } from "cloudflare:workers";
import { evictDurableObject, runDurableObjectAlarm, runInDurableObject } from "cloudflare:test";
import { beforeEach, describe, it } from "vitest";
import type { BreakerBoard } from "../../durable-objects/breaker-board";
import { breakerBoard } from "../../workers/platform/breaker/board";
import { breaker, resetBreakerCache, retryDelaySeconds, syncBreakers } from "../../workers/platform/breaker/breaker";
import {
  breakerConfigError,
  DEFAULT_POLICY,
  parseOverrides,
  policyFor,
  resolvePolicy,
  SEED_OVERRIDES,
} from "../../workers/platform/breaker/policy";
import { admit, type BreakerState, initialState, record } from "../../workers/platform/breaker/state-machine";
import type { BreakerPolicy } from "../../workers/platform/breaker/policy";
import { call, token, uniqueId } from "./helpers";

/**
 * The board runs a day ahead of real time in this file, so the alarm it arms to flush its outbox never
 * fires by itself (only runDurableObjectAlarm runs it); outcomes are stamped on the same day-ahead clock.
 */
const AHEAD_MS = 24 * 3600_000;
const later = () => Date.now() + AHEAD_MS;
const rawBoard = () => env.BREAKERS.getByName("default");

async function shiftBoardClock(): Promise<void> {
  await runInDurableObject(rawBoard(), (board: BreakerBoard) => {
    board.clock = later;
  });
}

/** A `defer` that holds the promises until the test drains them: nothing reaches the board before that. */
function deferred() {
  const held: Promise<unknown>[] = [];
  return {
    defer: (p: Promise<unknown>) => void held.push(p),
    held,
    async drain() {
      while (held.length > 0) await held.shift();
    },
  };
}

async function boardState(component: string) {
  return (await breakerBoard(env).states()).find((s) => s.component === component);
}

function failTimes(s: BreakerState, policy: BreakerPolicy, n: number, at: number): BreakerState {
  let out = s;
  for (let i = 0; i < n; i++) out = record(admit(out, policy, at).state, policy, "failure", at);
  return out;
}

describe("circuit breaker state machine", () => {
  const P = DEFAULT_POLICY;
  const T = 1_000_000;

  it("should open after 5 consecutive failures and refuse calls until the 30 s timeout", ({ expect }) => {
    let s = failTimes(initialState(), P, 4, T);
    expect(s).toMatchObject({ state: "closed", failures: 4 });
    s = record(s, P, "success", T);
    expect(s.failures).toBe(0);
    s = failTimes(s, P, 5, T);
    expect(s).toMatchObject({ state: "open", openedAt: T });
    const refused = admit(s, P, T + 10_000).admission;
    expect(refused).toEqual({ allowed: false, retryAfterMs: 20_000 });
  });

  it("should go half_open after 30 s and admit at most 3 probes at once", ({ expect }) => {
    let s = failTimes(initialState(), P, 5, T);
    expect(admit(s, P, T + 29_999).admission.allowed).toBe(false);
    const admissions = [];
    for (let i = 0; i < 4; i++) {
      const r = admit(s, P, T + 30_000);
      s = r.state;
      admissions.push(r.admission);
    }
    expect(s).toMatchObject({ state: "half_open", probes: 3 });
    expect(admissions.slice(0, 3)).toEqual([
      { allowed: true, probe: true },
      { allowed: true, probe: true },
      { allowed: true, probe: true },
    ]);
    expect(admissions[3]).toEqual({ allowed: false, retryAfterMs: 1000 });
  });

  it("should close after 3 probe successes", ({ expect }) => {
    let s = failTimes(initialState(), P, 5, T);
    for (let i = 0; i < 3; i++) s = admit(s, P, T + 30_000).state;
    s = record(s, P, "success", T + 30_100);
    s = record(s, P, "success", T + 30_200);
    expect(s).toMatchObject({ state: "half_open", successes: 2, probes: 1 });
    s = record(s, P, "success", T + 30_300);
    expect(s).toEqual(initialState());
    expect(admit(s, P, T + 30_400).admission).toEqual({ allowed: true, probe: false });
  });

  it("should reopen on a half-open failure with the timeout counting afresh", ({ expect }) => {
    let s = failTimes(initialState(), P, 5, T);
    s = admit(s, P, T + 30_000).state;
    s = record(s, P, "success", T + 30_100);
    s = admit(s, P, T + 30_200).state;
    s = record(s, P, "failure", T + 31_000);
    expect(s).toMatchObject({ state: "open", openedAt: T + 31_000 });
    expect(admit(s, P, T + 60_000).admission).toEqual({ allowed: false, retryAfterMs: 1_000 });
    expect(admit(s, P, T + 61_000).admission).toEqual({ allowed: true, probe: true });
  });

  it("should give back probe slots whose callers never reported, after a timeout", ({ expect }) => {
    let s = failTimes(initialState(), P, 5, T);
    for (let i = 0; i < 3; i++) s = admit(s, P, T + 30_000).state;
    expect(admit(s, P, T + 59_999).admission.allowed).toBe(false);
    expect(admit(s, P, T + 60_000).admission).toEqual({ allowed: true, probe: true });
  });

  it("should ignore late results of calls admitted before the breaker opened", ({ expect }) => {
    const open = failTimes(initialState(), P, 5, T);
    expect(record(open, P, "success", T + 1)).toBe(open);
    const half = admit(open, P, T + 30_000).state;
    expect(record(half, P, "failure", T + 29_000)).toBe(half);
  });
});

describe("circuit breaker policies", () => {
  it("should apply the seed's defaults and per-component overrides", ({ expect }) => {
    expect(DEFAULT_POLICY).toEqual({ failureThreshold: 5, timeoutMs: 30_000, halfOpenRequests: 3 });
    expect(resolvePolicy("claude_advisor", SEED_OVERRIDES)).toEqual({
      failureThreshold: 3,
      timeoutMs: 60_000,
      halfOpenRequests: 3,
    });
    expect(resolvePolicy("memgraph", SEED_OVERRIDES)).toEqual({
      failureThreshold: 10,
      timeoutMs: 15_000,
      halfOpenRequests: 3,
    });
    expect(resolvePolicy("memgraph.query", SEED_OVERRIDES).failureThreshold).toBe(10);
    expect(resolvePolicy("bus.handler.botz.register", SEED_OVERRIDES)).toEqual(DEFAULT_POLICY);
  });

  it("should open claude_advisor after 3 failures for 60 s and memgraph after 10 for 15 s", ({ expect }) => {
    // The seed's policies, without the test pool's own overrides (the Memgraph mirror test lowers memgraph's).
    const seed = { ...env, CIRCUIT_BREAKER_OVERRIDES: "" };
    const claude = policyFor(seed, "claude_advisor");
    const advisor = failTimes(initialState(), claude, 3, 0);
    expect(advisor.state).toBe("open");
    expect(admit(advisor, claude, 59_999).admission.allowed).toBe(false);
    expect(admit(advisor, claude, 60_000).admission.allowed).toBe(true);

    const graph = policyFor(seed, "memgraph");
    expect(failTimes(initialState(), graph, 9, 0).state).toBe("closed");
    const opened = failTimes(initialState(), graph, 10, 0);
    expect(opened.state).toBe("open");
    expect(admit(opened, graph, 15_000).admission).toEqual({ allowed: true, probe: true });
  });

  it("should layer CIRCUIT_BREAKER_OVERRIDES over the seed, by name or dotted prefix", ({ expect }) => {
    const vars = {
      CIRCUIT_BREAKER_OVERRIDES: JSON.stringify({
        claude_advisor: { failure_threshold: 2 },
        "bus.handler": { timeout: "1m", half_open_requests: 1 },
      }),
    };
    expect(policyFor(vars, "claude_advisor")).toEqual({ failureThreshold: 2, timeoutMs: 60_000, halfOpenRequests: 3 });
    expect(policyFor(vars, "bus.handler.botz.register")).toEqual({
      failureThreshold: 5,
      timeoutMs: 60_000,
      halfOpenRequests: 1,
    });
    expect(policyFor(vars, "memgraph")).toEqual({ failureThreshold: 10, timeoutMs: 15_000, halfOpenRequests: 3 });
    expect(breakerConfigError(vars)).toBeNull();
  });

  it("should reject a bad override with a config error naming the component and field", ({ expect }) => {
    const attempt = (raw: string) => {
      try {
        parseOverrides(raw);
        return null;
      } catch (err) {
        return err as { code: string; message: string };
      }
    };
    expect(attempt('{"claude_advisor":{"timeout":"soon"}}')).toMatchObject({
      code: "invalid_config",
      message: expect.stringMatching(
        /CIRCUIT_BREAKER_OVERRIDES: claude_advisor\.timeout: "soon" is not a duration/,
      ) as unknown,
    });
    expect(attempt('{"memgraph":{"failure_treshold":3}}')?.message).toMatch(
      /CIRCUIT_BREAKER_OVERRIDES: memgraph.*failure_treshold/,
    );
    expect(attempt('{"memgraph":{"failure_threshold":0}}')?.message).toMatch(/memgraph\.failure_threshold/);
    expect(attempt("{not json")?.message).toMatch(/CIRCUIT_BREAKER_OVERRIDES: not JSON/);
  });

  it("should keep breaking with the seed's policies when the var is invalid, and say why", ({ expect }) => {
    const vars = {
      BREAKERS: env.BREAKERS,
      LOG_LEVEL: "ERROR",
      CIRCUIT_BREAKER_OVERRIDES: '{"claude_advisor":{"timeout":30}}',
    };
    const b = breaker(vars, "claude_advisor", () => undefined);
    expect(b.policy).toEqual({ failureThreshold: 3, timeoutMs: 60_000, halfOpenRequests: 3 });
    expect(breakerConfigError(vars)).toMatch(/claude_advisor\.timeout/);
  });
});

describe("breaker() across isolates", () => {
  beforeEach(async () => {
    resetBreakerCache();
    await shiftBoardClock();
  });

  it("should answer check() without I/O and reach the board only through defer", async ({ expect }) => {
    const component = uniqueId("bus.handler.test");
    let lookups = 0;
    const counting = {
      LOG_LEVEL: "ERROR",
      BREAKERS: {
        getByName: (name: string) => (lookups++, env.BREAKERS.getByName(name)),
      } as unknown as typeof env.BREAKERS,
    };
    const d = deferred();
    const b = breaker(counting, component, d.defer);
    const t = later();
    const first = b.check(t);
    expect(first).toEqual({ allowed: true, probe: false });
    for (let i = 0; i < 5; i++) b.failure(new Error("upstream down"), t + i);
    // Opened in this isolate at once, while not one board call has started: that waits for the deferred work.
    expect(b.check(t + 10)).toEqual({ allowed: false, retryAfterMs: 30_000 - 6 });
    expect(lookups).toBe(0);
    expect(d.held.length).toBeGreaterThan(0);

    await d.drain();
    expect(lookups).toBeGreaterThan(0);
    expect(await boardState(component)).toMatchObject({ state: "open", openedAt: t + 4 });
  });

  it("should let a second isolate learn an open breaker from the board on its next refresh", async ({ expect }) => {
    const component = uniqueId("bus.handler.test");
    const one = deferred();
    const t = later();
    const b1 = breaker(env, component, one.defer);
    for (let i = 0; i < 5; i++) b1.failure("boom", t);
    await one.drain();

    resetBreakerCache();
    const two = deferred();
    const b2 = breaker(env, component, two.defer);
    // Not known yet: within the consistency bound this call goes ahead, and triggers the refresh.
    expect(b2.check(t + 100)).toEqual({ allowed: true, probe: false });
    await two.drain();
    expect(b2.check(t + 200)).toEqual({ allowed: false, retryAfterMs: 29_800 });
    // No second refresh inside the interval: checks stay free of I/O.
    b2.check(t + 300);
    expect(two.held).toHaveLength(0);
  });

  it("should count consecutive failures across isolates and close for all after the probes succeed", async ({
    expect,
  }) => {
    const component = uniqueId("bus.handler.test");
    const t = later();
    const a = deferred();
    const ba = breaker(env, component, a.defer);
    for (let i = 0; i < 3; i++) ba.failure("a", t + i);
    await a.drain();
    expect(await boardState(component)).toMatchObject({ state: "closed", failures: 3 });

    resetBreakerCache();
    const b = deferred();
    const bb = breaker(env, component, b.defer);
    await syncBreakers(env, t + 10);
    bb.failure("b", t + 20);
    bb.failure("b", t + 21);
    await b.drain();
    expect(await boardState(component)).toMatchObject({ state: "open", openedAt: t + 21 });

    const probeAt = t + 21 + 30_000;
    for (let i = 0; i < 3; i++) expect(bb.check(probeAt)).toEqual({ allowed: true, probe: true });
    for (let i = 0; i < 3; i++) bb.success(probeAt + 10 + i);
    expect(bb.state(probeAt + 20)).toBe("closed");
    await b.drain();
    expect(await boardState(component)).toMatchObject({ state: "closed", failures: 0 });
  });

  it("should run a call through check, success and failure, refusing it while open", async ({ expect }) => {
    const component = uniqueId("provider.test");
    const d = deferred();
    const b = breaker(env, component, d.defer);
    await expect(b.run(async () => 42)).resolves.toBe(42);
    for (let i = 0; i < 5; i++) await expect(b.run(() => Promise.reject(new Error("down")))).rejects.toThrow("down");
    await expect(b.run(async () => 1)).rejects.toMatchObject({ name: "CircuitOpenError", component });
    await d.drain();
  });

  it("should turn the time left on a breaker into a queue delay with bounded jitter", ({ expect }) => {
    expect(retryDelaySeconds(30_000, () => 0)).toBe(30);
    expect(retryDelaySeconds(30_000, () => 1)).toBe(36);
    expect(retryDelaySeconds(1, () => 0)).toBe(1);
    expect(retryDelaySeconds(10 * 24 * 3600_000, () => 0)).toBe(43_200);
  });
});

describe("BreakerBoard", () => {
  beforeEach(async () => {
    await shiftBoardClock();
  });

  it("should keep breaker states across eviction", async ({ expect }) => {
    const component = uniqueId("bus.handler.test");
    const t = later();
    const result = await breakerBoard(env).report(
      Array.from({ length: 5 }, (_, i) => ({ component, outcome: "failure" as const, at: t + i })),
    );
    expect(result.ok).toBe(true);

    await evictDurableObject(rawBoard());
    await shiftBoardClock();
    expect(await boardState(component)).toMatchObject({ state: "open", openedAt: t + 4 });
  });

  it("should put one ERROR event in its outbox when a breaker opens, and send it from the alarm", async ({
    expect,
  }) => {
    const component = uniqueId("bus.handler.test");
    const t = later();
    const failures = Array.from({ length: 7 }, (_, i) => ({
      component,
      outcome: "failure" as const,
      at: t + i,
      error: "connection refused",
    }));
    await breakerBoard(env).report(failures);

    const events = await runInDurableObject(rawBoard(), (_: BreakerBoard, state) =>
      state.storage.sql
        .exec<{ event: string }>("SELECT event FROM outbox")
        .toArray()
        .map((r) => JSON.parse(r.event) as { type: string; payload: Record<string, unknown> }),
    );
    const mine = events.filter((e) => (e.payload.affected_components as string[]).includes(component));
    expect(mine).toHaveLength(1);
    expect(mine[0]).toMatchObject({
      type: "errors.botplane.circuit_breaker",
      payload: {
        severity: "ERROR",
        suggested_action: "CIRCUIT_BREAK",
        affected_components: [component],
        context: { error_type: "circuit_open", last_error: "connection refused" },
      },
    });

    expect(await runDurableObjectAlarm(rawBoard())).toBe(true);
    const left = await runInDurableObject(
      rawBoard(),
      (_: BreakerBoard, state) => state.storage.sql.exec<{ n: number }>("SELECT COUNT(*) AS n FROM outbox").one().n,
    );
    expect(left).toBe(0);
  });

  it("should reject a malformed report naming the field", async ({ expect }) => {
    const result = await breakerBoard(env).report([{ component: "", outcome: "failure", at: 1 }]);
    expect(result).toMatchObject({
      ok: false,
      status: 400,
      code: "invalid_input",
      message: expect.stringContaining("outcomes.0.component") as unknown,
    });
  });
});

describe("GET /metrics circuit breaker state", () => {
  beforeEach(async () => {
    await shiftBoardClock();
  });

  it("should show 1 on an open breaker's open series and 0 on its others, and count the opening", async ({
    expect,
  }) => {
    const component = uniqueId("bus.handler.metrics");
    const t = later();
    await breakerBoard(env).report(
      Array.from({ length: 5 }, (_, i) => ({ component, outcome: "failure" as const, at: t + i })),
    );
    await runDurableObjectAlarm(rawBoard());

    const res = await call("/metrics", { token: await token(["metrics:read"]) });
    expect(res.status).toBe(200);
    const text = await res.text();
    expect(text).toContain("# TYPE botplane_circuit_breaker_state gauge");
    expect(text).toContain(`botplane_circuit_breaker_state{component="${component}",state="open"} 1`);
    expect(text).toContain(`botplane_circuit_breaker_state{component="${component}",state="closed"} 0`);
    expect(text).toContain(`botplane_circuit_breaker_state{component="${component}",state="half_open"} 0`);
    expect(text).toContain(
      `jimbot_error_rate_total{component="${component}",error_type="circuit_open",severity="ERROR"} 1`,
    );
  });

  it("should require a token with metrics:read", async ({ expect }) => {
    expect((await call("/metrics")).status).toBe(401);
    expect((await call("/metrics", { token: await token(["events:read"]) })).status).toBe(403);
  });
});
