/**
 * Edge devices through the Worker's real entry, with fake devices on the WebSocket and on long-poll:
 * telemetry stored the same either way (de-duplicated by id, late readings in `at` order, bounded history),
 * the over-temperature alert once per crossing (bus events and `alert.set` commands), online/offline by close
 * and by silence (the hub's alarm, with its clock moved), the device list/detail/telemetry routes, the
 * /metrics gauges, and the edge config vars named by /health.
 */
import { env } from "cloudflare:workers";
import {
  createExecutionContext,
  runDurableObjectAlarm,
  runInDurableObject,
  waitOnExecutionContext,
} from "cloudflare:test";
import { describe, it, type ExpectStatic } from "vitest";
import type { EdgeHub } from "../../durable-objects/edge-hub";
import { edgeHub } from "../../durable-objects/edge-hub-client";
import { readConfig } from "../../workers/platform/config";
import worker from "../../workers/index";
import { call, json, token, uniqueId } from "./helpers";
import { stopClock } from "./support/clock";

interface Frame {
  type: string;
  id?: string;
  name?: string;
  args?: Record<string, unknown>;
}

interface HistoryEvent {
  type: string;
  source: string;
  payload: Record<string, unknown>;
}

interface Reading {
  id: string;
  at: string;
  received_at: string;
  data: Record<string, unknown>;
}

const deviceId = () => uniqueId("pi").toLowerCase();
const hubStub = (id: string) => env.EDGE_HUB.getByName(id);
const reader = () => token(["edge:read"], { sub: "operator" });
const VERSION = "0.2.0-test";
const BASE = Date.parse("2026-11-30T12:00:00.000Z");
const minute = (m: number) => new Date(BASE + m * 60_000).toISOString();

function data(cpu: number | null) {
  return {
    cpu_temp_c: cpu,
    load: { one: 0.5, five: 0.4, fifteen: 0.3 },
    memory: { total_bytes: 8_000_000_000, available_bytes: 6_000_000_000 },
    disk: { total_bytes: 64_000_000_000, free_bytes: 32_000_000_000 },
    uptime_s: 3600,
    throttled: null,
    ollama: { reachable: true, models: ["qwen2.5:3b"], loaded: [] },
  };
}

function reading(id: string, m: number, cpu: number | null = 50) {
  return { type: "telemetry", id, at: minute(m), data: data(cpu) };
}

const hello = (id: string) => ({ type: "hello", device_id: id, agent_version: VERSION });

async function connect(id: string) {
  const res = await call(`/api/v1/edge/${id}/connect`, {
    token: await token(["edge:device"], { sub: id }),
    headers: { upgrade: "websocket" },
  });
  const ws = res.webSocket;
  if (res.status !== 101 || !ws) throw new Error(`no upgrade: ${res.status} ${await res.text()}`);
  const frames: Frame[] = [];
  ws.addEventListener("message", (e) => {
    frames.push(JSON.parse(String(e.data)) as Frame);
  });
  ws.accept();
  const send = (message: unknown) => ws.send(JSON.stringify(message));
  send(hello(id));
  return { ws, frames, send, close: () => ws.close(1000, "bye") };
}

async function pollFrames(id: string, messages: unknown[]): Promise<Frame[]> {
  const res = await call(`/api/v1/edge/${id}/poll?wait=0`, {
    method: "POST",
    body: { messages },
    token: await token(["edge:device"], { sub: id }),
  });
  if (res.status !== 200) throw new Error(`poll: ${res.status} ${await res.text()}`);
  return (await json<{ messages: Frame[] }>(res)).messages;
}

/** Reading ids the hub stored, oldest first. */
function storedIds(id: string): Promise<string[]> {
  return runInDurableObject(hubStub(id), (_hub: EdgeHub, state) =>
    state.storage.sql
      .exec<{ id: string }>("SELECT id FROM telemetry ORDER BY at, id")
      .toArray()
      .map((r) => r.id),
  );
}

async function get<T>(path: string, status = 200): Promise<T> {
  const res = await call(path, { token: await reader() });
  if (res.status !== status) throw new Error(`GET ${path}: ${res.status} ${await res.text()}`);
  return json<T>(res);
}

const history = async (id: string, query = "") =>
  get<{ readings: Reading[]; next_cursor: string | null }>(`/api/v1/edge/devices/${id}/telemetry${query}`);

async function listed(id: string, query = "") {
  const body = await get<{ devices: Record<string, unknown>[] }>(`/api/v1/edge/devices?limit=500${query}`);
  return body.devices.find((d) => d.device_id === id) ?? null;
}

/** Waits until history holds `count` events of `subject` for the device, and returns them in `at` order. */
async function announced(expect: ExpectStatic, subject: string, id: string, count: number) {
  const auth = await token(["events:read"]);
  const matching = async () => {
    const res = await call(`/api/v1/events?subject=${subject}&limit=1000`, { token: auth });
    if (res.status !== 200) throw new Error(`history: ${res.status} ${await res.text()}`);
    return (await json<{ events: HistoryEvent[] }>(res)).events
      .filter((e) => e.payload.device_id === id)
      .sort((a, b) => String(a.payload.at).localeCompare(String(b.payload.at)));
  };
  await expect.poll(async () => (await matching()).length, { message: subject, timeout: 10_000 }).toBe(count);
  return matching();
}

describe("EdgeHub telemetry", () => {
  it("should store a reading sent over the socket and over a poll the same way", async ({ expect }) => {
    const [overSocket, overPoll] = [deviceId(), deviceId()];
    const device = await connect(overSocket);
    const r = reading("r-1", 0, 55.5);
    device.send(r);
    expect(await pollFrames(overPoll, [hello(overPoll), r])).toEqual([]);
    await expect.poll(() => storedIds(overSocket), { timeout: 3000 }).toEqual(["r-1"]);
    const strip = (rs: Reading[]) => rs.map(({ id, at, data }) => ({ id, at, data }));
    const [viaSocket, viaPoll] = [await history(overSocket), await history(overPoll)];
    expect(strip(viaSocket.readings)).toEqual([{ id: "r-1", at: r.at, data: r.data }]);
    expect(strip(viaPoll.readings)).toEqual(strip(viaSocket.readings));
    device.close();
  });

  it("should store a re-sent reading once and keep a late one in `at` order without making it latest", async ({
    expect,
  }) => {
    const id = deviceId();
    const batch = [hello(id), reading("a", 10), reading("a", 10), reading("b", 5), reading("c", 20), reading("b", 5)];
    await pollFrames(id, batch);
    await pollFrames(id, [reading("d", 15, 60), reading("c", 20)]);
    expect(await storedIds(id)).toEqual(["b", "a", "d", "c"]);
    const detail = await get<{ telemetry: Reading }>(`/api/v1/edge/devices/${id}`);
    expect(detail.telemetry.id).toBe("c");

    const first = await history(id, "?limit=2");
    expect(first.readings.map((r) => r.id)).toEqual(["c", "d"]);
    const rest = await history(id, `?limit=2&cursor=${first.next_cursor ?? ""}`);
    expect([rest.readings.map((r) => r.id), rest.next_cursor]).toEqual([["a", "b"], null]);
    const since = await history(id, `?since=${minute(10)}`);
    expect(since.readings.map((r) => r.id)).toEqual(["c", "d", "a"]);
    const bad = await call(`/api/v1/edge/devices/${id}/telemetry?cursor=nope`, { token: await reader() });
    expect([bad.status, (await json<{ error: { code: string } }>(bad)).error.code]).toEqual([400, "invalid_input"]);
  });

  it("should keep the newest 1,440 readings and drop the oldest", async ({ expect }) => {
    const id = deviceId();
    const readings = Array.from({ length: 1445 }, (_, i) => reading(`r-${String(i).padStart(4, "0")}`, i));
    await pollFrames(id, [hello(id), ...readings.slice(0, 999)]);
    await pollFrames(id, readings.slice(999));
    const ids = await storedIds(id);
    expect(ids.length).toBe(1440);
    expect([ids[0], ids[ids.length - 1]]).toEqual(["r-0005", "r-1444"]);
  });
});

describe("EdgeHub over-temperature alert", () => {
  it("should raise once per crossing and clear below the clear threshold (80 → 85 → 79 → 74 → 81)", async ({
    expect,
  }) => {
    const id = deviceId();
    const device = await connect(id);
    const temps = [80, 85, 79, 74, 81];
    temps.forEach((t, i) => device.send(reading(`t-${i}`, i, t)));
    // Re-sent after a "reconnect": stored once, and never raise again.
    device.send(reading("t-1", 1, 85));
    device.send(reading("t-4", 4, 81));
    await expect.poll(() => storedIds(id), { timeout: 3000 }).toEqual(["t-0", "t-1", "t-2", "t-3", "t-4"]);

    const alerts = await announced(expect, "edge.device.temperature.alert.v1", id, 2);
    expect(alerts.map((e) => [e.source, e.payload])).toEqual([
      ["edge-hub", { device_id: id, cpu_temp_c: 80, threshold_c: 80, at: minute(0) }],
      ["edge-hub", { device_id: id, cpu_temp_c: 81, threshold_c: 80, at: minute(4) }],
    ]);
    const cleared = await announced(expect, "edge.device.temperature.cleared.v1", id, 1);
    expect(cleared.map((e) => e.payload)).toEqual([{ device_id: id, cpu_temp_c: 74, threshold_c: 75, at: minute(3) }]);

    const { commands } = await get<{ commands: { name: string; args: unknown; status: string }[] }>(
      `/api/v1/edge/devices/${id}/commands`,
    );
    const alertArgs = (active: boolean) => ({ alert: "over_temperature", active });
    // Newest first.
    expect(commands.map((c) => [c.name, c.args])).toEqual([
      ["alert.set", alertArgs(true)],
      ["alert.set", alertArgs(false)],
      ["alert.set", alertArgs(true)],
    ]);
    // Delivered on the socket like every command, so the agent's error LED follows the alert.
    await expect.poll(() => device.frames.filter((f) => f.type === "command").length, { timeout: 3000 }).toBe(3);
    expect(device.frames.filter((f) => f.type === "command").map((f) => [f.name, f.args])).toEqual([
      ["alert.set", alertArgs(true)],
      ["alert.set", alertArgs(false)],
      ["alert.set", alertArgs(true)],
    ]);
    expect((await get<{ over_temperature: boolean }>(`/api/v1/edge/devices/${id}`)).over_temperature).toBe(true);
    device.close();
  });

  it("should hand a polling device its alert.set in the answer to the poll that raised it", async ({ expect }) => {
    const id = deviceId();
    const frames = await pollFrames(id, [hello(id), reading("p-1", 0, 90)]);
    expect(frames.map((f) => [f.type, f.name, f.args])).toEqual([
      ["command", "alert.set", { alert: "over_temperature", active: true }],
    ]);
    await announced(expect, "edge.device.temperature.alert.v1", id, 1);
  });
});

describe("EdgeHub online / offline", () => {
  it("should announce offline when the socket closes, and list the device offline", async ({ expect }) => {
    const id = deviceId();
    const device = await connect(id);
    const online = await announced(expect, "edge.device.online.v1", id, 1);
    expect(online[0]?.payload).toMatchObject({ device_id: id, transport: "websocket" });
    device.close();
    const offline = await announced(expect, "edge.device.offline.v1", id, 1);
    expect(offline[0]?.payload).toMatchObject({ device_id: id, reason: "closed" });
    await expect.poll(async () => (await listed(id, "&online=false"))?.online, { timeout: 3000 }).toBe(false);
    expect(await listed(id, "&online=true")).toBeNull();
  });

  it("should find a device silent past EDGE_OFFLINE_AFTER offline by the alarm, and fail a submit at once", async ({
    expect,
  }) => {
    const id = deviceId();
    const device = await connect(id);
    await announced(expect, "edge.device.online.v1", id, 1);
    await expect.poll(async () => (await listed(id))?.online, { timeout: 3000 }).toBe(true);
    try {
      // No close frame: the socket stays open, the device just stops talking.
      await runInDurableObject(hubStub(id), (hub: EdgeHub) => {
        hub.clock = () => Date.now() + 91_000;
      });
      expect(await runDurableObjectAlarm(hubStub(id))).toBe(true);
      const offline = await announced(expect, "edge.device.offline.v1", id, 1);
      expect(offline[0]?.payload).toMatchObject({ device_id: id, reason: "silent" });
      expect((await listed(id, "&online=false"))?.online).toBe(false);
      const submit = await edgeHub(env, id).submitJob({
        kind: "llm.chat",
        request: { model: "qwen2.5:3b", messages: [] },
        deadlineMs: 60_000,
      });
      expect(submit).toMatchObject({ ok: false, status: 503, code: "device_offline" });
    } finally {
      await stopClock(hubStub(id), null);
    }
    device.close();
  });

  it("should find a polling device that stopped polling offline by the alarm", async ({ expect }) => {
    const id = deviceId();
    await pollFrames(id, [hello(id)]);
    const online = await announced(expect, "edge.device.online.v1", id, 1);
    expect(online[0]?.payload).toMatchObject({ device_id: id, transport: "poll" });
    try {
      await runInDurableObject(hubStub(id), (hub: EdgeHub) => {
        hub.clock = () => Date.now() + 91_000;
      });
      expect(await runDurableObjectAlarm(hubStub(id))).toBe(true);
      const offline = await announced(expect, "edge.device.offline.v1", id, 1);
      expect(offline[0]?.payload).toMatchObject({ device_id: id, reason: "silent" });
    } finally {
      await stopClock(hubStub(id), null);
    }
  });
});

describe("GET /api/v1/edge/devices and /metrics", () => {
  it("should answer the list and detail bodies and the device's gauges exactly", async ({ expect }) => {
    const id = deviceId();
    const now = Math.floor(Date.now() / 1000) * 1000;
    const at = new Date(now).toISOString();
    await stopClock(hubStub(id), now);
    try {
      const device = await connect(id);
      device.send(reading("m-1", 0, 81.5));
      await expect.poll(async () => (await listed(id))?.over_temperature, { timeout: 3000 }).toBe(true);
      const summary = {
        at: minute(0),
        cpu_temp_c: 81.5,
        load_one: 0.5,
        memory_available_bytes: 6_000_000_000,
        disk_free_bytes: 32_000_000_000,
        ollama_reachable: true,
      };
      expect(await listed(id)).toEqual({
        device_id: id,
        online: true,
        first_seen: at,
        last_seen: at,
        agent_version: VERSION,
        telemetry: summary,
        over_temperature: true,
        models: ["qwen2.5:3b"],
      });
      expect(await get(`/api/v1/edge/devices/${id}`)).toEqual({
        device_id: id,
        online: true,
        agent_version: VERSION,
        first_seen: at,
        connected_at: at,
        last_seen: at,
        open_jobs: 0,
        // The hub's own alert.set, delivered and not yet answered.
        open_commands: 1,
        over_temperature: true,
        thresholds: { alert_c: 80, clear_c: 75 },
        telemetry: { id: "m-1", at: minute(0), received_at: at, data: data(81.5) },
        telemetry_summary: summary,
        models: ["qwen2.5:3b"],
        loaded_models: [],
      });

      const metrics = await call("/metrics", { token: await token(["metrics:read"]) });
      const text = await metrics.text();
      expect(text.split("\n").filter((l) => l.includes(`device_id="${id}"`))).toEqual([
        `edge_device_cpu_temperature_celsius{device_id="${id}"} 81.5`,
        `edge_device_over_temperature{device_id="${id}"} 1`,
        `edge_device_last_seen_seconds{device_id="${id}"} ${now / 1000}`,
      ]);
      expect(text).toContain("# TYPE edge_devices gauge\n");
      expect(text).toMatch(/^edge_devices\{status="online"\} \d+$/m);
      device.close();
    } finally {
      await stopClock(hubStub(id), null);
    }
  });

  it("should answer 404 in the one error shape for a device never seen", async ({ expect }) => {
    const id = deviceId();
    for (const path of [`/api/v1/edge/devices/${id}`, `/api/v1/edge/devices/${id}/telemetry`]) {
      const res = await call(path, { token: await reader() });
      expect(res.status).toBe(404);
      expect((await json<{ error: { code: string } }>(res)).error.code).toBe("device_not_found");
    }
  });
});

describe("edge config vars", () => {
  it("should default to 80/75 °C and 90s, and name a bad value on /health", async ({ expect }) => {
    expect(readConfig({}).edge).toEqual({ tempAlertC: 80, tempClearC: 75, offlineAfterMs: 90_000 });
    expect(readConfig({ EDGE_TEMP_ALERT_CELSIUS: "70", EDGE_TEMP_CLEAR_CELSIUS: "65.5" }).edge).toMatchObject({
      tempAlertC: 70,
      tempClearC: 65.5,
    });
    const ctx = createExecutionContext();
    const vars = { EDGE_TEMP_CLEAR_CELSIUS: "85", EDGE_OFFLINE_AFTER: "90" };
    const res = await worker.fetch(new Request("https://botplane.test/health"), { ...env, ...vars }, ctx);
    await waitOnExecutionContext(ctx);
    const body = await json<{ checks: Record<string, { status: string; error?: string }> }>(res);
    expect([body.checks.config?.status, body.checks.config?.error]).toEqual([
      "error",
      'EDGE_TEMP_CLEAR_CELSIUS="85": "85" must be below EDGE_TEMP_ALERT_CELSIUS (80) (using 75); ' +
        'EDGE_OFFLINE_AFTER="90": "90" needs a unit, e.g. 500ms, 30s, 5m (using 90s)',
    ]);
  });
});
