/**
 * Config: one parser per kind of value (durations need a unit, positive integers), one policy for a bad
 * var — its documented default is in force, it is listed with why, logged once per isolate and named by the
 * `config` check on /health — and never a 500. Requests with a bad var go through the Worker's real entry
 * with the test env plus that one var.
 */
import { env } from "cloudflare:workers";
import { createExecutionContext, waitOnExecutionContext } from "cloudflare:test";
import { describe, it, vi } from "vitest";
import { retentionMs } from "../../workers/bus/retention";
import { readConfig } from "../../workers/platform/config";
import { parseDurationMs, parsePositiveInt } from "../../workers/platform/var-parsers";
import worker from "../../workers/index";
import { ADMIN, uniqueId } from "./helpers";

const DAY = 24 * 3600_000;

async function fetchWith(vars: Record<string, string>, path: string, init: RequestInit = {}): Promise<Response> {
  const ctx = createExecutionContext();
  const res = await worker.fetch(new Request(`https://botplane.test${path}`, init), { ...env, ...vars }, ctx);
  await waitOnExecutionContext(ctx);
  return res;
}

type Health = { status: string; checks: Record<string, { status: string; error?: string }> };

describe("var parsers", () => {
  it("should parse durations with a unit and refuse a bare number", ({ expect }) => {
    expect(["500ms", "30s", "1.5m", "2h", " 5m "].map((t) => parseDurationMs(t))).toEqual([
      { ok: true, value: 500 },
      { ok: true, value: 30_000 },
      { ok: true, value: 90_000 },
      { ok: true, value: 7_200_000 },
      { ok: true, value: 300_000 },
    ]);
    expect(parseDurationMs("30")).toEqual({ ok: false, message: '"30" needs a unit, e.g. 500ms, 30s, 5m' });
    expect(parseDurationMs("soon")).toEqual({
      ok: false,
      message: '"soon" is not a duration (needs a unit, e.g. 500ms, 30s, 5m)',
    });
    expect(parseDurationMs("-1s").ok).toBe(false);
    expect(parseDurationMs("0s").ok).toBe(false);
    expect(parseDurationMs("0s", { allowZero: true })).toEqual({ ok: true, value: 0 });
  });

  it("should parse positive integers up to a maximum", ({ expect }) => {
    expect(parsePositiveInt("8")).toEqual({ ok: true, value: 8 });
    expect(parsePositiveInt(" 64 ", 64)).toEqual({ ok: true, value: 64 });
    expect(parsePositiveInt("65", 64)).toEqual({ ok: false, message: '"65" is more than the maximum of 64' });
    for (const bad of ["0", "-3", "1.5", "1e3", "ten", "9007199254740993"])
      expect(parsePositiveInt(bad).ok, bad).toBe(false);
  });
});

describe("readConfig", () => {
  it("should give the documented defaults when no var is set", ({ expect }) => {
    expect(readConfig({})).toEqual({
      botz: { heartbeatIntervalS: 30, staleThresholdMs: 300_000, leaseMs: 600_000, maxClaimAttempts: 3 },
      edge: { tempAlertC: 80, tempClearC: 75, offlineAfterMs: 90_000 },
      resources: {
        capacities: { GPU_COMPUTE: 100, MEMORY_MB: 32_768, CLAUDE_API_TOKENS: 1_000_000 },
        requestTimeoutMs: 5_000,
        agingMs: 10_000,
        maxWaitMs: 600_000,
      },
      retentionMs: 7 * DAY,
      eventBusPartitions: 8,
      busRedeliveryAfterMs: 300_000,
      logLevel: "INFO",
      componentName: "botplane",
      componentVersion: "0.1.0",
      problems: [],
    });
  });

  it("should read good values", ({ expect }) => {
    const config = readConfig({
      BOTZ_CLAIM_LEASE_SECONDS: "60",
      EVENT_RETENTION_DAYS: "3",
      EVENT_BUS_PARTITIONS: "16",
      BUS_REDELIVERY_AFTER: "90s",
      LOG_LEVEL: "warning",
    });
    expect([
      config.botz.leaseMs,
      config.retentionMs,
      config.eventBusPartitions,
      config.busRedeliveryAfterMs,
      config.logLevel,
    ]).toEqual([60_000, 3 * DAY, 16, 90_000, "WARN"]);
    expect(config.problems).toEqual([]);
  });

  it("should refuse a bare-number duration and keep the default in force", ({ expect }) => {
    const config = readConfig({ BUS_REDELIVERY_AFTER: "300", RESOURCE_MAX_WAIT: "600" });
    expect(config.busRedeliveryAfterMs).toBe(300_000);
    expect(config.resources.maxWaitMs).toBe(600_000);
    expect(config.problems).toEqual([
      { name: "RESOURCE_MAX_WAIT", value: "600", message: '"600" needs a unit, e.g. 500ms, 30s, 5m', fallback: "10m" },
      {
        name: "BUS_REDELIVERY_AFTER",
        value: "300",
        message: '"300" needs a unit, e.g. 500ms, 30s, 5m',
        fallback: "5m",
      },
    ]);
  });

  it("should list every bad var with its default, including the breaker overrides", ({ expect }) => {
    const config = readConfig({
      EVENT_BUS_PARTITIONS: "65",
      EVENT_RETENTION_DAYS: "a week",
      LOG_LEVEL: "loud",
      CIRCUIT_BREAKER_OVERRIDES: '{"memgraph":{"timeout":"15"}}',
    });
    expect(config.eventBusPartitions).toBe(8);
    expect(config.retentionMs).toBe(7 * DAY);
    expect(config.logLevel).toBe("INFO");
    expect(config.problems.map((p) => [p.name, p.fallback])).toEqual([
      ["EVENT_RETENTION_DAYS", "7"],
      ["EVENT_BUS_PARTITIONS", "8"],
      ["LOG_LEVEL", "INFO"],
      ["CIRCUIT_BREAKER_OVERRIDES", "the seed's policies (no extra overrides)"],
    ]);
    expect(config.problems[3]?.message).toBe('memgraph.timeout: "15" needs a unit, e.g. 500ms, 30s, 5m');
    expect(retentionMs({ EVENT_RETENTION_DAYS: "a week" })).toBe(7 * DAY);
  });

  it("should log each bad var once per isolate, however often config is read", ({ expect }) => {
    const spy = vi.spyOn(console, "error").mockImplementation(() => undefined);
    try {
      const value = uniqueId("not-a-number");
      readConfig({ BOTZ_MAX_CLAIM_ATTEMPTS: value });
      readConfig({ BOTZ_MAX_CLAIM_ATTEMPTS: value });
      const lines = spy.mock.calls.map((c) => String(c[0])).filter((l) => l.includes(value));
      expect(lines).toHaveLength(1);
      expect(JSON.parse(lines[0] ?? "{}")).toMatchObject({
        level: "ERROR",
        component: "config",
        message: "invalid config var; its default is in force",
        name: "BOTZ_MAX_CLAIM_ATTEMPTS",
        value,
        problem: `"${value}" is not a positive integer`,
        fallback: "3",
      });
    } finally {
      spy.mockRestore();
    }
  });
});

describe("GET /health config check", () => {
  it("should pass with the test env's vars", async ({ expect }) => {
    const body = await (await fetchWith({}, "/health")).json<Health>();
    expect(body.checks.config).toMatchObject({ status: "ok" });
  });

  it("should fail naming a bad BOTZ_CLAIM_LEASE_SECONDS, and a bad EVENT_RETENTION_DAYS", async ({ expect }) => {
    const res = await fetchWith({ BOTZ_CLAIM_LEASE_SECONDS: "ten", EVENT_RETENTION_DAYS: "0" }, "/health");
    expect(res.status).toBe(503);
    const body = await res.json<Health>();
    expect(body.status).toBe("degraded");
    expect(body.checks.config?.status).toBe("error");
    expect(body.checks.config?.error).toBe(
      'BOTZ_CLAIM_LEASE_SECONDS="ten": "ten" is not a positive integer (using 600); ' +
        'EVENT_RETENTION_DAYS="0": "0" is not a positive integer (using 7)',
    );
    expect(body.checks.d1?.status).toBe("ok");
  });
});

describe("a bad var on a request path", () => {
  it("should register with the default heartbeat interval instead of answering 500", async ({ expect }) => {
    const res = await fetchWith(
      { BOTZ_HEARTBEAT_INTERVAL: "soon", BOTZ_CLAIM_LEASE_SECONDS: "ten" },
      "/v1/botz/register",
      {
        method: "POST",
        headers: { authorization: `Bearer ${await ADMIN()}`, "content-type": "application/json" },
        body: JSON.stringify({ botz_name: "cfg", instance_id: uniqueId("cfg"), skill_level: "basic" }),
      },
    );
    expect(res.status).toBe(201);
    expect((await res.json<{ heartbeat_interval_s: number }>()).heartbeat_interval_s).toBe(30);
  });
});
