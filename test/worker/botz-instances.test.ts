/**
 * BoTZ instance routes through the Worker: register (and re-register), heartbeat, list with filters, read.
 */
import { describe, it } from "vitest";
import { botzIdFor } from "../../workers/botz/botz-id";
import { ADMIN, call, json, registerBot, uniqueId } from "./helpers";

interface Instance {
  botz_id: string;
  instance_id: string;
  status: string;
  skill_level: string;
  metadata: Record<string, unknown>;
  available_mcp_tools: string[];
  runner_host: string | null;
}

describe("POST /v1/botz/register", () => {
  it("should register with the seed's fields and return botz_id and the heartbeat interval", async ({ expect }) => {
    const instanceId = uniqueId("crush-ailab");
    const res = await call("/v1/botz/register", {
      token: await ADMIN(),
      body: {
        botz_name: "pmoves-crush",
        instance_id: instanceId,
        skill_level: "tac_enabled",
        available_mcp_tools: ["read", "write", "bash"],
        runner_host: "ai-lab",
        config_path: "./crush.json",
        version: "1.2.0",
      },
    });
    expect(res.status).toBe(201);
    const body = await json<{ botz_id: string; created: boolean; heartbeat_interval_s: number; instance: Instance }>(
      res,
    );
    expect(body.botz_id).toBe(await botzIdFor(instanceId));
    expect(body.created).toBe(true);
    expect(body.heartbeat_interval_s).toBe(30);
    expect(body.instance).toMatchObject({
      status: "active",
      skill_level: "tac_enabled",
      available_mcp_tools: ["read", "write", "bash"],
      runner_host: "ai-lab",
    });
    expect(body.instance.metadata).toEqual({ version: "1.2.0" });
  });

  it("should update, not duplicate, when the same instance_id registers again", async ({ expect }) => {
    const auth = await ADMIN();
    const instanceId = uniqueId("again");
    const first = await registerBot("basic", auth, instanceId);
    const res = await call("/v1/botz/register", {
      token: auth,
      body: { botz_name: "renamed", instance_id: instanceId, skill_level: "agentic" },
    });
    expect(res.status).toBe(200);
    const body = await json<{ botz_id: string; created: boolean; instance: Instance & { botz_name: string } }>(res);
    expect(body).toMatchObject({ botz_id: first, created: false });
    expect(body.instance).toMatchObject({ botz_name: "renamed", skill_level: "agentic" });
    const list = await json<{ instances: Instance[] }>(await call("/v1/botz/instances?limit=500", { token: auth }));
    expect(list.instances.filter((i) => i.instance_id === instanceId)).toHaveLength(1);
  });

  it("should name the missing field", async ({ expect }) => {
    const res = await call("/v1/botz/register", {
      token: await ADMIN(),
      body: { botz_name: "x", skill_level: "basic" },
    });
    expect(res.status).toBe(400);
    expect((await json<{ error: { message: string } }>(res)).error.message).toContain("body.instance_id");
  });
});

describe("POST /v1/botz/heartbeat", () => {
  it("should record the heartbeat and return heartbeat_interval_s", async ({ expect }) => {
    const auth = await ADMIN();
    const id = await registerBot("basic", auth);
    const res = await call("/v1/botz/heartbeat", { token: auth, body: { botz_id: id, status: "busy" } });
    expect(res.status).toBe(200);
    expect(await json(res)).toMatchObject({
      botz_id: id,
      status: "busy",
      heartbeat_interval_s: 30,
      leases_extended: 0,
    });
  });

  it("should answer 404 for an unknown instance", async ({ expect }) => {
    const res = await call("/v1/botz/heartbeat", { token: await ADMIN(), body: { botz_id: "nope" } });
    expect(res.status).toBe(404);
    expect((await json<{ error: { code: string } }>(res)).error.code).toBe("botz_not_found");
  });
});

describe("GET /v1/botz/instances", () => {
  it("should filter by status and skill_level", async ({ expect }) => {
    const auth = await ADMIN();
    const agentic = await registerBot("agentic", auth);
    const basic = await registerBot("basic", auth);
    await call("/v1/botz/heartbeat", { token: auth, body: { botz_id: basic, status: "draining" } });
    const bySkill = await json<{ instances: Instance[] }>(
      await call("/v1/botz/instances?skill_level=agentic&limit=500", { token: auth }),
    );
    expect(bySkill.instances.every((i) => i.skill_level === "agentic")).toBe(true);
    expect(bySkill.instances.map((i) => i.botz_id)).toContain(agentic);
    const byStatus = await json<{ instances: Instance[]; count: number }>(
      await call("/v1/botz/instances?status=draining", { token: auth }),
    );
    expect(byStatus.instances.map((i) => i.botz_id)).toEqual([basic]);
    expect(byStatus.count).toBe(1);
  });

  it("should reject an unknown status filter naming it", async ({ expect }) => {
    const res = await call("/v1/botz/instances?status=sleepy", { token: await ADMIN() });
    expect(res.status).toBe(400);
    expect((await json<{ error: { message: string } }>(res)).error.message).toContain("query.status");
  });
});

describe("GET /v1/botz/{botz_id}", () => {
  it("should return the instance, or 404", async ({ expect }) => {
    const auth = await ADMIN();
    const id = await registerBot("mcp_augmented", auth);
    const res = await call(`/v1/botz/${id}`, { token: auth });
    expect(res.status).toBe(200);
    expect(await json(res)).toMatchObject({ botz_id: id, skill_level: "mcp_augmented" });
    expect((await call("/v1/botz/unknown-bot", { token: auth })).status).toBe(404);
  });
});
