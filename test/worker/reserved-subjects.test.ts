/**
 * Reserved subjects (workers/platform/bus/reserved-subjects.ts): what botplane consumes needs the scope of
 * the equivalent HTTP operation, what it announces needs admin; `events:publish` alone is refused per event
 * (403 `forbidden` with details.required for a single one), and the registry is left untouched.
 */
import { describe, it } from "vitest";
import { botzIdFor } from "../../workers/botz/botz-id";
import { reservedScope } from "../../workers/platform/bus/reserved-subjects";
import { ADMIN, call, json, token, uniqueId } from "./helpers";

interface ErrorBody {
  error: { code: string; message: string; details: { field: string; required?: string } };
}
interface BatchResult {
  accepted: number;
  results: { status: string; type?: string; error?: { code: string; field?: string; required?: string } }[];
}

const errorPayload = { error_id: "e-1", source_component: "t", severity: "ERROR", message: "boom" };

function registration(instanceId: string) {
  return {
    type: "botz.register.v1",
    source: "crush",
    payload: { botz_name: "forged", instance_id: instanceId, skill_level: "agentic" },
  };
}

describe("reservedScope", () => {
  it("should map consumed subjects to their HTTP scope and announced ones to admin, and leave the rest open", ({
    expect,
  }) => {
    const subjects = [
      "botz.register.v1",
      "botz.heartbeat.v1",
      "botz.registered.v1",
      "botz.workitem.claimed.v1",
      "resources.granted.v1",
      "chainbot.workflow.started.v1",
      "edge.device.online.v1",
      "errors.botplane.circuit_breaker",
      "errors.botplane",
      "errors.balatromcp",
      "botz.custom.v1",
      "game.state",
    ];
    expect(subjects.map((s) => reservedScope(s) ?? null)).toEqual([
      "botz:write",
      "botz:write",
      "admin",
      "admin",
      "admin",
      "admin",
      "admin",
      "admin",
      null,
      null,
      null,
      null,
    ]);
  });
});

describe("POST /api/v1/events reserved subjects", () => {
  it("should refuse botz.register.v1 with events:publish alone (403, registry untouched) and accept it with botz:write", async ({
    expect,
  }) => {
    const forgedId = uniqueId("forged");
    const refused = await call("/api/v1/events", {
      token: await token(["events:publish"]),
      body: registration(forgedId),
    });
    expect(refused.status).toBe(403);
    expect(await json<ErrorBody>(refused)).toMatchObject({
      error: { code: "forbidden", details: { field: "body.type", required: "botz:write" } },
    });

    const realId = uniqueId("allowed");
    const accepted = await call("/api/v1/events", {
      token: await token(["events:publish", "botz:write"]),
      body: registration(realId),
    });
    expect(accepted.status).toBe(202);
    const admin = await ADMIN();
    const real = await botzIdFor(realId);
    await expect
      .poll(async () => (await call(`/v1/botz/${real}`, { token: admin })).status, { timeout: 10_000, interval: 50 })
      .toBe(200);
    expect((await call(`/v1/botz/${await botzIdFor(forgedId)}`, { token: admin })).status).toBe(404);
  });

  it("should reject each reserved event of a batch on its own, naming the scope it needs", async ({ expect }) => {
    const res = await call("/api/v1/events", {
      token: await token(["events:publish"]),
      body: {
        events: [
          { type: "reserved.open.v1", source: "t", payload: {} },
          registration(uniqueId("forged")),
          { type: "HEARTBEAT", source: "botz", payload: {} },
          { type: "resources.granted.v1", source: "t", payload: {} },
          {
            type: "errors.botplane.circuit_breaker",
            source: "t",
            payload: errorPayload,
          },
          { type: "ERROR", source: "BalatroMCP", payload: errorPayload },
        ],
      },
    });
    expect(res.status).toBe(200);
    const body = await json<BatchResult>(res);
    expect(body.results.map((r) => [r.status, r.error?.required ?? null, r.error?.field ?? null])).toEqual([
      ["accepted", null, null],
      ["rejected", "botz:write", "body.events.1.type"],
      ["rejected", "botz:write", "body.events.2.type"],
      ["rejected", "admin", "body.events.3.type"],
      ["rejected", "admin", "body.events.4.type"],
      ["accepted", null, null],
    ]);
    expect(body.results[5]?.type).toBe("errors.balatromcp");
  });

  it("should let admin publish an announced subject", async ({ expect }) => {
    const res = await call("/api/v1/events", {
      token: await ADMIN(),
      body: { type: "resources.granted.v1", source: "ops", payload: {} },
    });
    expect(res.status).toBe(202);
  });
});
