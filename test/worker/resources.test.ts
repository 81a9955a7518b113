/**
 * The resource coordinator through its routes: immediate grants, waiting callers granted by a release during
 * their wait, 202 with a later grant announced in the outbox, priority order with FIFO and aging, expiry by
 * alarm, durability across eviction, the usage gauge on /metrics, and its config parsing.
 */
import { env } from "cloudflare:workers";
import { evictDurableObject, runDurableObjectAlarm, runInDurableObject } from "cloudflare:test";
import { beforeEach, describe, it } from "vitest";
import type { ResourceCoordinator } from "../../durable-objects/resource-coordinator";
import { readResourceSettings } from "../../workers/resources/config";
import { readConfig } from "../../workers/platform/config";
import { call, json, token } from "./helpers";
import { setClockLead } from "./support/clock";

const stub = () => env.RESOURCE_COORDINATOR.getByName("default");

/**
 * The coordinator runs a day ahead of real time, so every alarm it sets lies a day out in real time and only
 * runDurableObjectAlarm runs it (the outbox then stays readable until a test flushes it).
 */
const AHEAD_MS = 24 * 3600_000;
const AGING_MS = 10_000;

async function shiftClock(offsetMs: number): Promise<void> {
  await setClockLead(stub(), AHEAD_MS + offsetMs);
}

interface Grant {
  grant_id: string;
  request_id: string;
  component: string;
  type: string;
  amount: number;
  priority: string;
  granted_at: string;
  expires_at: string;
  status: string;
}
interface Waiting {
  request_id: string;
  status: "waiting";
  position: number;
}
interface Status {
  resources: { type: string; capacity: number; granted: number; available: number; waiting: number }[];
  grants: Grant[];
  waiters: { request_id: string; priority: string; effective_priority: string; position: number }[];
}
interface RequestState {
  request_id: string;
  status: string;
  position: number | null;
  effective_priority: string | null;
  grant: Grant | null;
}

const requester = () => token(["resources:request"]);
const reader = () => token(["resources:read"]);

async function request(body: Record<string, unknown>): Promise<{ status: number; body: Record<string, unknown> }> {
  const res = await call("/api/v1/resources/request", {
    token: await requester(),
    body: { component: "test", type: "GPU_COMPUTE", duration_ms: 3_600_000, ...body },
  });
  return { status: res.status, body: await json(res) };
}

async function grant(body: Record<string, unknown>): Promise<Grant> {
  const res = await request(body);
  if (res.status !== 200) throw new Error(`expected a grant, got ${res.status} ${JSON.stringify(res.body)}`);
  return res.body as unknown as Grant;
}

async function queued(body: Record<string, unknown>): Promise<Waiting> {
  const res = await request({ timeout_ms: 0, ...body });
  if (res.status !== 202) throw new Error(`expected 202, got ${res.status} ${JSON.stringify(res.body)}`);
  return res.body as unknown as Waiting;
}

async function release(grantId: string): Promise<Response> {
  return call("/api/v1/resources/release", { token: await requester(), body: { grant_id: grantId } });
}

async function status(): Promise<Status> {
  return json<Status>(await call("/api/v1/resources/status", { token: await reader() }));
}

async function state(requestId: string): Promise<RequestState> {
  return json<RequestState>(await call(`/api/v1/resources/requests/${requestId}`, { token: await reader() }));
}

async function outboxEvents(): Promise<{ type: string; correlation_id: string; payload: Grant }[]> {
  return runInDurableObject(stub(), (_: ResourceCoordinator, s) =>
    s.storage.sql
      .exec<{ event: string }>("SELECT event FROM outbox ORDER BY seq")
      .toArray()
      .map((r) => JSON.parse(r.event) as { type: string; correlation_id: string; payload: Grant }),
  );
}

beforeEach(async () => {
  await runInDurableObject(stub(), (instance: ResourceCoordinator, s) => {
    instance.clock = () => Date.now() + AHEAD_MS;
    for (const table of ["grants", "requests", "outbox"]) s.storage.sql.exec(`DELETE FROM ${table}`);
  });
});

describe("POST /api/v1/resources/request", () => {
  it("should grant at once when capacity allows", async ({ expect }) => {
    const g = await grant({ component: "ray_rllib", amount: 30, duration_ms: 60_000, priority: "HIGH" });
    expect(g).toMatchObject({
      component: "ray_rllib",
      type: "GPU_COMPUTE",
      amount: 30,
      priority: "HIGH",
      status: "active",
    });
    expect(Date.parse(g.expires_at) - Date.parse(g.granted_at)).toBe(60_000);
    const gpu = (await status()).resources.find((r) => r.type === "GPU_COMPUTE");
    expect(gpu).toEqual({ type: "GPU_COMPUTE", capacity: 100, granted: 30, available: 70, waiting: 0 });
  });

  it("should hold a caller while capacity is short and grant it when another grant is released during the wait", async ({
    expect,
  }) => {
    const holder = await grant({ amount: 80 });
    const WAIT_MS = 5_000; // RESOURCE_REQUEST_TIMEOUT, the longest a caller may wait
    const requestedAt = Date.now();
    const waiting = request({ component: "waiter", amount: 50, timeout_ms: WAIT_MS });
    await expect.poll(async () => (await status()).waiters.length === 1, { timeout: 5000 }).toBe(true);
    expect((await release(holder.grant_id)).status).toBe(200);
    const res = await waiting;
    // Answered by the release, before its own wait ran out (the bound is the configured wait, not a speed).
    expect(Date.now() - requestedAt).toBeLessThan(WAIT_MS);
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ component: "waiter", amount: 50, status: "active" });
  });

  it("should answer 202 after the timeout, announce the later grant in the outbox and show it on the request", async ({
    expect,
  }) => {
    const holder = await grant({ amount: 100 });
    const started = Date.now();
    const res = await request({ component: "late", amount: 40, timeout_ms: 200 });
    expect(Date.now() - started).toBeGreaterThanOrEqual(190);
    expect(res.status).toBe(202);
    const waiting = res.body as unknown as Waiting;
    expect(waiting).toMatchObject({ status: "waiting", position: 1 });
    expect(await state(waiting.request_id)).toMatchObject({ status: "waiting", position: 1, grant: null });

    await release(holder.grant_id);
    const later = await state(waiting.request_id);
    expect(later.status).toBe("granted");
    expect(later.grant).toMatchObject({
      request_id: waiting.request_id,
      component: "late",
      amount: 40,
      status: "active",
    });
    const events = await outboxEvents();
    const announced = events.filter(
      (e) => e.type === "resources.granted.v1" && e.payload.request_id === waiting.request_id,
    );
    expect(announced).toHaveLength(1);
    expect(announced[0]?.payload.grant_id).toBe(later.grant?.grant_id);
    expect(announced[0]?.correlation_id).toBe(waiting.request_id);
    expect(events.map((e) => e.type)).toContain("resources.released.v1");

    expect(await runDurableObjectAlarm(stub())).toBe(true);
    expect(await outboxEvents()).toEqual([]);
  });

  it("should serve CRITICAL before LOW and keep FIFO within a priority", async ({ expect }) => {
    const holder = await grant({ amount: 100 });
    const lowA = await queued({ component: "low-a", amount: 100, priority: "LOW" });
    const critA = await queued({ component: "crit-a", amount: 100, priority: "CRITICAL" });
    const lowB = await queued({ component: "low-b", amount: 100, priority: "LOW" });
    const critB = await queued({ component: "crit-b", amount: 100, priority: "CRITICAL" });
    expect((await status()).waiters.map((w) => w.request_id)).toEqual(
      [critA, critB, lowA, lowB].map((w) => w.request_id),
    );

    const served: string[] = [];
    let current = holder.grant_id;
    for (let i = 0; i < 4; i++) {
      await release(current);
      const active = (await status()).grants;
      expect(active).toHaveLength(1);
      served.push(active[0]?.component ?? "");
      current = active[0]?.grant_id ?? "";
    }
    expect(served).toEqual(["crit-a", "crit-b", "low-a", "low-b"]);
  });

  it("should not let a request that fits jump a waiter of equal or higher priority", async ({ expect }) => {
    await grant({ amount: 60 });
    const big = await queued({ component: "big", amount: 50, priority: "HIGH" });
    const small = await request({ component: "small", amount: 10, priority: "NORMAL", timeout_ms: 0 });
    expect(small.status).toBe(202);
    expect(small.body).toMatchObject({ position: 2 });
    const urgent = await request({ component: "urgent", amount: 10, priority: "CRITICAL", timeout_ms: 0 });
    expect(urgent.status).toBe(200);
    expect((await state(big.request_id)).status).toBe("waiting");
  });

  it("should age a waiting LOW request past a newer HIGH one", async ({ expect }) => {
    const holder = await grant({ amount: 100 });
    const old = await queued({ component: "old-low", amount: 100, priority: "LOW" });
    await shiftClock(2 * AGING_MS);
    const fresh = await queued({ component: "new-high", amount: 100, priority: "HIGH" });
    const waiters = (await status()).waiters;
    expect(waiters.map((w) => [w.request_id, w.effective_priority])).toEqual([
      [old.request_id, "HIGH"],
      [fresh.request_id, "HIGH"],
    ]);
    await release(holder.grant_id);
    expect((await state(old.request_id)).status).toBe("granted");
    expect((await state(fresh.request_id)).status).toBe("waiting");
  });

  it("should answer 422 for more than the whole capacity and 400 naming the field for bad input", async ({
    expect,
  }) => {
    const tooMuch = await request({ amount: 101 });
    expect(tooMuch.status).toBe(422);
    expect(tooMuch.body).toMatchObject({ error: { code: "exceeds_capacity" } });
    const cases: [Record<string, unknown>, string][] = [
      [{ amount: 0 }, "body.amount"],
      [{ amount: 1.5 }, "body.amount"],
      [{ amount: 1, type: "DISK" }, "body.type"],
      [{ amount: 1, duration_ms: 24 * 3600_000 + 1 }, "body.duration_ms"],
      [{ amount: 1, priority: "URGENT" }, "body.priority"],
      [{ amount: 1, timeout_ms: 5_001 }, "body.timeout_ms"],
    ];
    for (const [body, field] of cases) {
      const res = await request(body);
      expect(res.status, field).toBe(400);
      expect((res.body as { error: { message: string } }).error.message).toContain(field);
    }
  });
});

describe("POST /api/v1/resources/release", () => {
  it("should release a grant, then answer 409 for it and 404 for an unknown one, across eviction", async ({
    expect,
  }) => {
    const g = await grant({ type: "MEMORY_MB", amount: 2_048 });
    await evictDurableObject(stub());
    await shiftClock(0);
    expect((await status()).grants.map((x) => x.grant_id)).toEqual([g.grant_id]);

    const released = await release(g.grant_id);
    expect(released.status).toBe(200);
    expect(await json(released)).toMatchObject({ grant_id: g.grant_id, status: "released" });
    const again = await release(g.grant_id);
    expect(again.status).toBe(409);
    expect((await json<{ error: { code: string } }>(again)).error.code).toBe("grant_released");
    expect((await release(crypto.randomUUID())).status).toBe(404);
    expect((await status()).resources.find((r) => r.type === "MEMORY_MB")?.granted).toBe(0);
  });
});

describe("ResourceCoordinator alarm", () => {
  it("should expire a grant by alarm, free its capacity and grant the next waiter", async ({ expect }) => {
    const holder = await grant({ amount: 100, duration_ms: 60_000 });
    const next = await queued({ component: "next", amount: 70 });
    const alarm = await runInDurableObject(stub(), (_: ResourceCoordinator, s) => s.storage.getAlarm());
    expect(alarm).toBeLessThanOrEqual(Date.parse(holder.expires_at));

    await shiftClock(61_000);
    expect(await runDurableObjectAlarm(stub())).toBe(true);
    // Read storage directly: the routes would settle expiries themselves and hide a silent alarm.
    const rows = await runInDurableObject(stub(), (_: ResourceCoordinator, s) => ({
      holder: s.storage.sql
        .exec<{ end_reason: string | null }>("SELECT end_reason FROM grants WHERE grant_id = ?", holder.grant_id)
        .one().end_reason,
      next: s.storage.sql
        .exec<{ status: string }>("SELECT status FROM requests WHERE request_id = ?", next.request_id)
        .one().status,
    }));
    expect(rows).toEqual({ holder: "expired", next: "granted" });
    expect((await state(next.request_id)).grant).toMatchObject({ component: "next", amount: 70, status: "active" });
  });
});

describe("/api/v1/resources/requests/{request_id}", () => {
  it("should cancel a waiting request, answering its in-flight caller with 409", async ({ expect }) => {
    await grant({ amount: 100 });
    const inFlight = request({ component: "patient", amount: 10, timeout_ms: 3_000 });
    await expect.poll(async () => (await status()).waiters.length === 1, { timeout: 5000 }).toBe(true);
    const [waiter] = (await status()).waiters;
    const cancelled = await call(`/api/v1/resources/requests/${waiter?.request_id ?? ""}`, {
      method: "DELETE",
      token: await requester(),
    });
    expect(cancelled.status).toBe(200);
    expect(await json(cancelled)).toMatchObject({ status: "cancelled" });
    const cancelledAt = Date.now();
    const answer = await inFlight;
    expect(Date.now() - cancelledAt).toBeLessThan(1_500);
    expect(answer.status).toBe(409);
    expect(answer.body).toMatchObject({ error: { code: "request_cancelled" } });
    const again = await call(`/api/v1/resources/requests/${waiter?.request_id ?? ""}`, {
      method: "DELETE",
      token: await requester(),
    });
    expect(again.status).toBe(409);
  });

  it("should answer 404 for an unknown request and 400 naming param.request_id for a bad id", async ({ expect }) => {
    expect((await call(`/api/v1/resources/requests/${crypto.randomUUID()}`, { token: await reader() })).status).toBe(
      404,
    );
    const bad = await call("/api/v1/resources/requests/nope", { token: await reader() });
    expect(bad.status).toBe(400);
    expect((await json<{ error: { message: string } }>(bad)).error.message).toContain("param.request_id");
  });
});

describe("GET /metrics resource usage", () => {
  it("should show each component's granted share as jimbot_resource_usage_ratio", async ({ expect }) => {
    await grant({ component: "gauge-comp", amount: 20 });
    await grant({ component: "gauge-comp", amount: 5 });
    await grant({ component: "tokens-comp", type: "CLAUDE_API_TOKENS", amount: 250_000 });
    const text = await (await call("/metrics", { token: await token(["metrics:read"]) })).text();
    expect(text).toContain("# TYPE jimbot_resource_usage_ratio gauge");
    expect(text).toContain('jimbot_resource_usage_ratio{component="gauge-comp",resource_type="GPU_COMPUTE"} 0.25');
    expect(text).toContain(
      'jimbot_resource_usage_ratio{component="tokens-comp",resource_type="CLAUDE_API_TOKENS"} 0.25',
    );
  });
});

describe("resource settings", () => {
  it("should default to the seed's capacities and list a bad var with the default in force", ({ expect }) => {
    expect(readResourceSettings({})).toEqual({
      capacities: { GPU_COMPUTE: 100, MEMORY_MB: 32_768, CLAUDE_API_TOKENS: 1_000_000 },
      requestTimeoutMs: 5_000,
      agingMs: 10_000,
      maxWaitMs: 600_000,
    });
    const vars = { RESOURCE_CAPACITY_GPU_COMPUTE: "lots", RESOURCE_REQUEST_TIMEOUT: "soon", RESOURCE_MAX_WAIT: "2m" };
    const config = readConfig(vars);
    expect(config.resources).toMatchObject({
      capacities: { GPU_COMPUTE: 100 },
      requestTimeoutMs: 5_000,
      maxWaitMs: 120_000,
    });
    expect(config.problems.map((p) => [p.name, p.fallback])).toEqual([
      ["RESOURCE_CAPACITY_GPU_COMPUTE", "100"],
      ["RESOURCE_REQUEST_TIMEOUT", "5s"],
    ]);
    expect(readResourceSettings({ RESOURCE_REQUEST_TIMEOUT: "0s" }).requestTimeoutMs).toBe(0);
  });
});
