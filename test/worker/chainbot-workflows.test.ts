/**
 * ChainBot workflow routes through the Worker's entry: create, list with cursors, get (latest and older
 * versions), update, soft delete, the definition checks as 400s naming the step, RBAC with seed 004's
 * permissions, and `loadWorkflowVersion` as the execution engine will call it.
 */
import { env } from "cloudflare:workers";
import { describe, it } from "vitest";
import { loadWorkflowVersion } from "../../workers/chainbot/workflows/store";
import { call, json, token } from "./helpers";
import seedConditional from "./fixtures/chainbot-seed-conditional.json";
import seedSequential from "./fixtures/chainbot-seed-sequential.json";
import { agentStep, EVERY_STEP_TYPE } from "./fixtures/chainbot-workflows";

interface Workflow {
  id: string;
  name: string;
  version: number;
  latest_version: number;
  definition: { name: string; steps: { id: string }[] };
  created_by: string;
}
interface ErrorBody {
  error: { code: string; message: string; details: { issues: { field: string; message: string }[] } };
}

const ADMIN = () => token(["chainbot:admin"], { sub: "cb-admin" });

async function create(def: unknown, auth?: string): Promise<Workflow> {
  const res = await call("/api/chainbot/workflows", { body: def, token: auth ?? (await ADMIN()) });
  if (res.status !== 201) throw new Error(`create: ${res.status} ${await res.text()}`);
  return json<Workflow>(res);
}

describe("POST /api/chainbot/workflows", () => {
  it("should store the seed's examples as version 1 with the creator", async ({ expect }) => {
    for (const seed of [seedSequential, seedConditional]) {
      const wf = await create(seed);
      expect(wf.id).toMatch(/^[0-9a-f-]{36}$/);
      expect(wf).toMatchObject({ name: seed.name, version: 1, latest_version: 1, created_by: "cb-admin" });
      expect(wf.definition.steps.map((s) => s.id)).toEqual(seed.steps.map((s) => s.id));
    }
  });

  it("should answer 400 naming the step and the field for an unknown branch step", async ({ expect }) => {
    const def = {
      name: "bad",
      type: "conditional",
      steps: [
        agentStep("a"),
        agentStep("b"),
        { id: "check_quality", type: "condition", expression: "${a.score} > 1", true_steps: ["nope"] },
      ],
    };
    const res = await call("/api/chainbot/workflows", { body: def, token: await ADMIN() });
    expect(res.status).toBe(400);
    const body = await json<ErrorBody>(res);
    expect(body.error.code).toBe("invalid_input");
    expect(body.error.message).toBe("steps[2] (check_quality).true_steps[0]: unknown step 'nope'");
    expect(body.error.details.issues).toEqual([
      { field: "steps[2] (check_quality).true_steps[0]", message: "unknown step 'nope'" },
    ]);
  });

  it("should answer 400 naming the step for a shape error and an unparsable expression", async ({ expect }) => {
    const shape = await call("/api/chainbot/workflows", {
      body: { name: "x", steps: [agentStep("a"), { id: "w", type: "wait" }] },
      token: await ADMIN(),
    });
    expect(shape.status).toBe(400);
    expect((await json<ErrorBody>(shape)).error.message).toBe(
      "steps[1] (w).duration: a wait needs exactly one of duration, until, event and approval",
    );
    const expr = await call("/api/chainbot/workflows", {
      body: { name: "x", steps: [{ id: "c", type: "condition", expression: "${input.x} >>" }] },
      token: await ADMIN(),
    });
    expect(expr.status).toBe(400);
    expect((await json<ErrorBody>(expr)).error.message).toMatch(/^steps\[0\] \(c\)\.expression: /);
  });

  it("should answer 413 for a definition too large to store as one row", async ({ expect }) => {
    const steps = Array.from({ length: 40 }, (_, i) => ({
      ...agentStep(`s${i}`),
      config: { blob: "x".repeat(15_000) },
    }));
    const res = await call("/api/chainbot/workflows", { body: { name: "big", steps }, token: await ADMIN() });
    expect(res.status).toBe(413);
    expect((await json<ErrorBody>(res)).error.code).toBe("payload_too_large");
  });

  it("should check that a sub_workflow names a live workflow", async ({ expect }) => {
    const steps = (EVERY_STEP_TYPE.steps as Record<string, unknown>[]).map((s) =>
      s.id === "child" ? { ...s, workflow_id: "missing-workflow" } : s,
    );
    const missing = await call("/api/chainbot/workflows", {
      body: { ...EVERY_STEP_TYPE, steps },
      token: await ADMIN(),
    });
    expect(missing.status).toBe(400);
    expect((await json<ErrorBody>(missing)).error.message).toBe(
      "steps[9] (child).workflow_id: no workflow 'missing-workflow'",
    );
    const child = await create(seedSequential);
    const ok = steps.map((s) => (s.id === "child" ? { ...s, workflow_id: child.id } : s));
    const parent = await create({ ...EVERY_STEP_TYPE, steps: ok });
    expect(parent.definition.steps).toHaveLength(13);
  });
});

describe("GET /api/chainbot/workflows", () => {
  it("should page newest first with a cursor and leave deleted workflows out", async ({ expect }) => {
    const made: Workflow[] = [];
    for (let i = 0; i < 3; i++) made.push(await create({ ...seedSequential, name: `page-${i}` }));
    const auth = await token(["chainbot:read"]);
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const res = await call(`/api/chainbot/workflows?limit=2${cursor ? `&cursor=${cursor}` : ""}`, { token: auth });
      expect(res.status).toBe(200);
      const page = await json<{ workflows: { id: string }[]; next_cursor: string | null }>(res);
      expect(page.workflows.length).toBeLessThanOrEqual(2);
      seen.push(...page.workflows.map((w) => w.id));
      cursor = page.next_cursor;
    } while (cursor);
    expect(new Set(seen).size).toBe(seen.length);
    // Newest first: the three just made are in reverse order of creation.
    const mine = seen.filter((id) => made.some((m) => m.id === id));
    expect(mine).toEqual(made.map((m) => m.id).reverse());

    const [gone] = made;
    if (!gone) throw new Error("nothing made");
    await call(`/api/chainbot/workflows/${gone.id}`, { method: "DELETE", token: await ADMIN() });
    const after = await json<{ workflows: { id: string }[] }>(
      await call("/api/chainbot/workflows?limit=200", { token: auth }),
    );
    expect(after.workflows.map((w) => w.id)).not.toContain(gone.id);
  });

  it("should answer 400 naming query.cursor for a cursor it did not hand out", async ({ expect }) => {
    const res = await call("/api/chainbot/workflows?cursor=bogus", { token: await ADMIN() });
    expect(res.status).toBe(400);
    expect((await json<ErrorBody>(res)).error.message).toContain("query.cursor");
  });
});

describe("PUT and GET /api/chainbot/workflows/{id}", () => {
  it("should keep every version readable while GET shows the latest", async ({ expect }) => {
    const wf = await create(seedConditional);
    const v2def = { ...seedConditional, description: "second" };
    const put = await call(`/api/chainbot/workflows/${wf.id}`, { method: "PUT", body: v2def, token: await ADMIN() });
    expect(put.status).toBe(200);
    expect(await json<Workflow>(put)).toMatchObject({ id: wf.id, version: 2, latest_version: 2 });

    const auth = await token(["chainbot:read"]);
    const latest = await json<Workflow & { description: string }>(
      await call(`/api/chainbot/workflows/${wf.id}`, { token: auth }),
    );
    expect(latest).toMatchObject({ version: 2, latest_version: 2, description: "second" });
    const v1 = await json<Workflow & { description: string }>(
      await call(`/api/chainbot/workflows/${wf.id}?version=1`, { token: auth }),
    );
    expect(v1).toMatchObject({ version: 1, latest_version: 2, description: seedConditional.description });

    const v9 = await call(`/api/chainbot/workflows/${wf.id}?version=9`, { token: auth });
    expect(v9.status).toBe(404);
    expect((await json<ErrorBody>(v9)).error.code).toBe("workflow_version_not_found");
  });

  it("should refuse a bad new version without storing it", async ({ expect }) => {
    const wf = await create(seedSequential);
    const bad = { ...seedSequential, steps: [...seedSequential.steps, seedSequential.steps[0]] };
    const res = await call(`/api/chainbot/workflows/${wf.id}`, { method: "PUT", body: bad, token: await ADMIN() });
    expect(res.status).toBe(400);
    expect((await json<ErrorBody>(res)).error.message).toBe(
      "steps[3] (step1).id: duplicate step id 'step1' (also steps[0])",
    );
    const now = await json<Workflow>(await call(`/api/chainbot/workflows/${wf.id}`, { token: await ADMIN() }));
    expect(now.latest_version).toBe(1);
  });

  it("should give concurrent updates distinct versions, refusing the losers with 409", async ({ expect }) => {
    const wf = await create(seedSequential);
    const auth = await ADMIN();
    const results = await Promise.all(
      Array.from({ length: 5 }, (_, i) =>
        call(`/api/chainbot/workflows/${wf.id}`, {
          method: "PUT",
          body: { ...seedSequential, description: `v${i}` },
          token: auth,
        }),
      ),
    );
    const won: number[] = [];
    for (const res of results) {
      if (res.status === 200) won.push((await json<Workflow>(res)).version);
      else {
        expect(res.status).toBe(409);
        expect((await json<ErrorBody>(res)).error.code).toBe("version_conflict");
      }
    }
    expect(new Set(won).size).toBe(won.length);
    const latest = await json<Workflow>(await call(`/api/chainbot/workflows/${wf.id}`, { token: auth }));
    expect(latest.latest_version).toBe(1 + won.length);
    expect(Math.max(...won)).toBe(latest.latest_version);
  });

  it("should answer 404 for an unknown workflow", async ({ expect }) => {
    const res = await call("/api/chainbot/workflows/no-such-workflow", {
      method: "PUT",
      body: seedSequential,
      token: await ADMIN(),
    });
    expect(res.status).toBe(404);
    expect((await json<ErrorBody>(res)).error.code).toBe("workflow_not_found");
  });
});

describe("DELETE /api/chainbot/workflows/{id}", () => {
  it("should soft delete: gone for readers and new executions, versions kept for running ones", async ({ expect }) => {
    const wf = await create(seedConditional);
    const del = await call(`/api/chainbot/workflows/${wf.id}`, {
      method: "DELETE",
      token: await token(["chainbot:workflow:delete"]),
    });
    expect(del.status).toBe(200);
    expect(await json(del)).toMatchObject({ id: wf.id, deleted: true });

    const auth = await ADMIN();
    expect((await call(`/api/chainbot/workflows/${wf.id}`, { token: auth })).status).toBe(404);
    expect((await call(`/api/chainbot/workflows/${wf.id}`, { method: "DELETE", token: auth })).status).toBe(404);
    const put = await call(`/api/chainbot/workflows/${wf.id}`, { method: "PUT", body: seedConditional, token: auth });
    expect(put.status).toBe(404);

    const refused = await loadWorkflowVersion(env, wf.id);
    expect(refused).toMatchObject({ ok: false, status: 409, code: "workflow_deleted" });
    const pinned = await loadWorkflowVersion(env, wf.id, 1, { includeDeleted: true });
    if (!pinned.ok) throw new Error(pinned.message);
    expect(pinned.snapshot.version).toBe(1);
    expect(pinned.snapshot.definition.steps.map((s) => s.id)).toEqual(seedConditional.steps.map((s) => s.id));
    expect(pinned.snapshot.deletedAt).not.toBeNull();
  });
});

describe("loadWorkflowVersion", () => {
  it("should return the pinned snapshot of a version after the workflow moved on", async ({ expect }) => {
    const wf = await create(seedConditional);
    await call(`/api/chainbot/workflows/${wf.id}`, {
      method: "PUT",
      body: { ...seedConditional, steps: seedConditional.steps.slice(0, 1) },
      token: await ADMIN(),
    });
    const latest = await loadWorkflowVersion(env, wf.id);
    const first = await loadWorkflowVersion(env, wf.id, 1);
    if (!latest.ok || !first.ok) throw new Error("not loaded");
    expect(latest.snapshot.version).toBe(2);
    expect(latest.snapshot.definition.steps).toHaveLength(1);
    expect(first.snapshot.definition.steps).toHaveLength(4);
    const condition = first.snapshot.definition.steps[1];
    expect(condition).toMatchObject({ type: "condition", expression: "${step1.quality_score} > 0.8" });
    expect(await loadWorkflowVersion(env, "nope")).toMatchObject({ ok: false, status: 404 });
  });
});

describe("ChainBot workflow RBAC", () => {
  it("should let chainbot:admin through every workflow route", async ({ expect }) => {
    const auth = await ADMIN();
    const wf = await create(seedSequential, auth);
    expect((await call("/api/chainbot/workflows", { token: auth })).status).toBe(200);
    expect((await call(`/api/chainbot/workflows/${wf.id}`, { token: auth })).status).toBe(200);
    const put = await call(`/api/chainbot/workflows/${wf.id}`, { method: "PUT", body: seedSequential, token: auth });
    expect(put.status).toBe(200);
    expect((await call(`/api/chainbot/workflows/${wf.id}`, { method: "DELETE", token: auth })).status).toBe(200);
  });

  it("should refuse each route to a token holding only the other permissions", async ({ expect }) => {
    const wf = await create(seedSequential);
    const cases: [string, string, unknown, string][] = [
      ["POST", "/api/chainbot/workflows", seedSequential, "chainbot:workflow:create"],
      ["PUT", `/api/chainbot/workflows/${wf.id}`, seedSequential, "chainbot:workflow:create"],
      ["DELETE", `/api/chainbot/workflows/${wf.id}`, undefined, "chainbot:workflow:delete"],
      ["GET", "/api/chainbot/workflows", undefined, "chainbot:read"],
      ["GET", `/api/chainbot/workflows/${wf.id}`, undefined, "chainbot:read"],
    ];
    const all = [
      "chainbot:read",
      "chainbot:workflow:execute",
      "chainbot:workflow:create",
      "chainbot:workflow:delete",
      "chainbot:agent:spawn",
      "chainbot:agent:terminate",
      "chainbot:entanglement:manage",
    ];
    for (const [method, path, body, needed] of cases) {
      const res = await call(path, { method, body, token: await token(all.filter((s) => s !== needed)) });
      expect(res.status, `${method} ${path}`).toBe(403);
      expect((await json<{ error: { details: { required: string } } }>(res)).error.details.required).toBe(needed);
    }
    const readOnly = await call("/api/chainbot/workflows", {
      body: seedSequential,
      token: await token(["chainbot:read"]),
    });
    expect(readOnly.status).toBe(403);
  });
});
