/**
 * Work item routes through the Worker: create, list (filters and order), claim (skill gate, races, claim
 * next), complete (fencing), read.
 */
import { describe, it } from "vitest";
import { ADMIN, call, createItems, json, registerBot } from "./helpers";

interface WorkItem {
  work_item_id: string;
  status: string;
  priority: number;
  required_skill_level: string;
  claimed_by: string | null;
  fencing_token: number | null;
  attempts: number;
  result: unknown;
  error: string | null;
}
interface Claim {
  work_item_id: string;
  fencing_token: number;
  lease_expires_at: string;
  required_skill_level: string;
  work_item: WorkItem;
}
type ErrorBody = { error: { code: string; message: string } };

async function claim(auth: string, body: Record<string, unknown>) {
  const res = await call("/v1/workitems/claim", { token: auth, body });
  return { status: res.status, body: await res.json<Claim & ErrorBody>() };
}

describe("POST /v1/workitems", () => {
  it("should create one item and return its work_item_id", async ({ expect }) => {
    const res = await call("/v1/workitems", {
      token: await ADMIN(),
      body: {
        title: "index library",
        integration_name: "jellyfin",
        required_skill_level: "tac_enabled",
        priority: 5,
        payload: { library: "movies" },
      },
    });
    expect(res.status).toBe(201);
    const { work_item_id } = await json<{ work_item_id: string }>(res);
    const item = await json<WorkItem & { payload: unknown }>(
      await call(`/v1/workitems/${work_item_id}`, { token: await ADMIN() }),
    );
    expect(item).toMatchObject({
      status: "pending",
      priority: 5,
      required_skill_level: "tac_enabled",
      payload: { library: "movies" },
      attempts: 0,
    });
  });

  it("should create a batch and refuse more than 100 at once", async ({ expect }) => {
    const auth = await ADMIN();
    expect(await createItems(auth, [{}, {}, {}])).toHaveLength(3);
    const res = await call("/v1/workitems", {
      token: auth,
      body: { items: Array.from({ length: 101 }, (_, i) => ({ title: `t${i}` })) },
    });
    expect(res.status).toBe(400);
    expect((await json<ErrorBody>(res)).error.message).toContain("body.items");
  });
});

describe("POST /v1/workitems/list", () => {
  it("should order by priority then age and filter by what a skill level may claim", async ({ expect }) => {
    const auth = await ADMIN();
    const integration = `list-${Date.now()}`;
    const [low, high, agentic, mid] = await createItems(auth, [
      { priority: 1, integration_name: integration },
      { priority: 9, integration_name: integration },
      { priority: 9, integration_name: integration, required_skill_level: "agentic" },
      { priority: 5, integration_name: integration, required_skill_level: "tac_enabled" },
    ]);
    const all = await json<{ work_items: WorkItem[] }>(
      await call("/v1/workitems/list", { token: auth, body: { integration_name: integration } }),
    );
    expect(all.work_items.map((w) => w.work_item_id)).toEqual([high, agentic, mid, low]);
    const tac = await json<{ work_items: WorkItem[] }>(
      await call("/v1/workitems/list", {
        token: auth,
        body: { integration_name: integration, skill_level: "tac_enabled", limit: 10 },
      }),
    );
    expect(tac.work_items.map((w) => w.work_item_id)).toEqual([high, mid, low]);
    const limited = await json<{ work_items: WorkItem[] }>(
      await call("/v1/workitems/list", { token: auth, body: { integration_name: integration, limit: 1 } }),
    );
    expect(limited.work_items).toHaveLength(1);
  });
});

describe("POST /v1/workitems/claim", () => {
  it("should refuse an item above the claimer's skill with 403 skill_too_low", async ({ expect }) => {
    const auth = await ADMIN();
    const bot = await registerBot("tac_enabled", auth);
    const [item] = await createItems(auth, [{ required_skill_level: "mcp_augmented" }]);
    const res = await claim(auth, { work_item_id: item, botz_id: bot });
    expect(res.status).toBe(403);
    expect(res.body.error.code).toBe("skill_too_low");
  });

  it("should give the item to one claimer and 409 the other", async ({ expect }) => {
    const auth = await ADMIN();
    const [a, b] = [await registerBot("agentic", auth), await registerBot("basic", auth)];
    const [item] = await createItems(auth, [{}]);
    const [first, second] = await Promise.all([
      claim(auth, { work_item_id: item, botz_id: a, session_id: "claude-session-001" }),
      claim(auth, { work_item_id: item, botz_id: b }),
    ]);
    expect([first.status, second.status].sort()).toEqual([200, 409]);
    const loser = first.status === 409 ? first : second;
    expect(loser.body.error.code).toBe("already_claimed");
  });

  it("should hand out strictly increasing fencing tokens and a lease", async ({ expect }) => {
    const auth = await ADMIN();
    const bot = await registerBot("basic", auth);
    const items = await createItems(auth, [{}, {}]);
    const one = await claim(auth, { work_item_id: items[0], botz_id: bot });
    const two = await claim(auth, { work_item_id: items[1], botz_id: bot });
    expect(two.body.fencing_token).toBeGreaterThan(one.body.fencing_token);
    expect(Date.parse(one.body.lease_expires_at) - Date.now()).toBeGreaterThan(9 * 60_000);
  });

  it("should claim the next eligible item when no work_item_id is given", async ({ expect }) => {
    const auth = await ADMIN();
    const integration = `next-${Date.now()}`;
    const bot = await registerBot("tac_enabled", auth);
    const [, best] = await createItems(auth, [
      { priority: 3, integration_name: integration },
      { priority: 8, integration_name: integration, required_skill_level: "tac_enabled" },
      { priority: 10, integration_name: integration, required_skill_level: "agentic" },
    ]);
    const res = await claim(auth, { botz_id: bot, integration_name: integration });
    expect(res.status).toBe(200);
    expect(res.body.work_item_id).toBe(best);
    await claim(auth, { botz_id: bot, integration_name: integration });
    const none = await claim(auth, { botz_id: bot, integration_name: integration });
    expect(none.status).toBe(404);
    expect(none.body.error.code).toBe("no_claimable_item");
  });

  it("should 404 an unknown claimer or item", async ({ expect }) => {
    const auth = await ADMIN();
    const bot = await registerBot("basic", auth);
    expect((await claim(auth, { botz_id: "ghost" })).body.error.code).toBe("botz_not_found");
    expect((await claim(auth, { botz_id: bot, work_item_id: "ghost" })).body.error.code).toBe("work_item_not_found");
  });
});

describe("POST /v1/workitems/complete", () => {
  it("should complete with a result when the fencing token holds", async ({ expect }) => {
    const auth = await ADMIN();
    const bot = await registerBot("basic", auth);
    const [item] = await createItems(auth, [{}]);
    const { body: granted } = await claim(auth, { work_item_id: item, botz_id: bot });
    const res = await call("/v1/workitems/complete", {
      token: auth,
      body: {
        work_item_id: item,
        botz_id: bot,
        fencing_token: granted.fencing_token,
        status: "completed",
        result: { ok: 1 },
      },
    });
    expect(res.status).toBe(200);
    expect(await json(res)).toMatchObject({ status: "completed", result: { ok: 1 } });
    const again = await call("/v1/workitems/complete", {
      token: auth,
      body: { work_item_id: item, botz_id: bot, fencing_token: granted.fencing_token, status: "completed" },
    });
    expect(again.status).toBe(409);
  });

  it("should record a failure reason, and require one", async ({ expect }) => {
    const auth = await ADMIN();
    const bot = await registerBot("basic", auth);
    const [item] = await createItems(auth, [{}]);
    const { body: granted } = await claim(auth, { work_item_id: item, botz_id: bot });
    const missing = await call("/v1/workitems/complete", {
      token: auth,
      body: { work_item_id: item, botz_id: bot, fencing_token: granted.fencing_token, status: "failed" },
    });
    expect(missing.status).toBe(400);
    expect((await json<ErrorBody>(missing)).error.message).toContain("body.error");
    const res = await call("/v1/workitems/complete", {
      token: auth,
      body: {
        work_item_id: item,
        botz_id: bot,
        fencing_token: granted.fencing_token,
        status: "failed",
        error: "tool crashed",
      },
    });
    expect(await json(res)).toMatchObject({ status: "failed", error: "tool crashed" });
  });

  it("should refuse a wrong fencing token or another bot with 409 stale_claim", async ({ expect }) => {
    const auth = await ADMIN();
    const [bot, other] = [await registerBot("basic", auth), await registerBot("basic", auth)];
    const [item] = await createItems(auth, [{}]);
    const { body: granted } = await claim(auth, { work_item_id: item, botz_id: bot });
    for (const body of [
      { work_item_id: item, botz_id: bot, fencing_token: granted.fencing_token + 1000 },
      { work_item_id: item, botz_id: other, fencing_token: granted.fencing_token },
    ]) {
      const res = await call("/v1/workitems/complete", { token: auth, body });
      expect(res.status).toBe(409);
      expect((await json<ErrorBody>(res)).error.code).toBe("stale_claim");
    }
  });
});

describe("GET /v1/workitems/{work_item_id}", () => {
  it("should 404 an unknown item in the error shape", async ({ expect }) => {
    const res = await call("/v1/workitems/does-not-exist", { token: await ADMIN() });
    expect(res.status).toBe(404);
    expect((await json<ErrorBody>(res)).error.code).toBe("work_item_not_found");
  });
});
