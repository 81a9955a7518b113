/**
 * The seed's performance block on `/graphql`: a query past `query_timeout` is stopped with a clear error
 * (resolvers are held by a test hook — no clock is raced), and with `max_concurrent_queries` operations held
 * open the next one is refused with 429 + Retry-After while the held ones all finish.
 */
import { env } from "cloudflare:workers";
import { afterEach, describe, it } from "vitest";
import { knowledgeConfig } from "../../workers/jimbot/knowledge/config";
import { executionHooks, runningOperations } from "../../workers/jimbot/knowledge/gate";
import { call, json, token } from "./helpers";

const QUERY = { query: '{ entities(type: "joker", first: 1) { name } }' };

afterEach(() => {
  executionHooks.afterAdmit = undefined;
  executionHooks.beforeResolve = undefined;
});

describe("/graphql time budget", () => {
  it("should stop a query that runs past query_timeout with a clear error", async ({ expect }) => {
    const budget = knowledgeConfig(env).queryTimeoutMs;
    // A resolver that never gets its data: only the budget can end this query.
    executionHooks.beforeResolve = () => new Promise<void>(() => undefined);
    const res = await call("/graphql", { token: await token(["knowledge:read"]), body: QUERY });
    expect(res.status).toBe(504);
    expect(await json(res)).toEqual({
      errors: [
        {
          message: `query stopped: it ran past its ${budget} ms budget (query_timeout)`,
          extensions: { code: "TIMEOUT", timeout_ms: budget, budget: "query_timeout" },
        },
      ],
    });
    expect(runningOperations()).toBe(0);
  });
});

describe("/graphql max_concurrent_queries", () => {
  it("should refuse exactly the 101st concurrent query with 429 and Retry-After", async ({ expect }) => {
    const limit = knowledgeConfig(env).maxConcurrentQueries;
    expect(limit).toBe(100);
    let open: () => void = () => undefined;
    const gate = new Promise<void>((resolve) => {
      open = resolve;
    });
    executionHooks.afterAdmit = () => gate;
    const auth = await token(["knowledge:read"]);
    const held = Array.from({ length: limit }, () => call("/graphql", { token: auth, body: QUERY }));
    await expect.poll(runningOperations, { timeout: 20_000 }).toBe(limit);
    const refused = await call("/graphql", { token: auth, body: QUERY });
    expect(refused.status).toBe(429);
    expect(refused.headers.get("retry-after")).toBe("1");
    expect(await json(refused)).toEqual({
      errors: [
        {
          message: "100 queries are already running (max_concurrent_queries); retry shortly",
          extensions: { code: "TOO_MANY_CONCURRENT_QUERIES" },
        },
      ],
    });
    open();
    const statuses = (await Promise.all(held)).map((r) => r.status);
    expect(statuses).toEqual(Array.from({ length: limit }, () => 200));
    expect(runningOperations()).toBe(0);
    expect((await call("/graphql", { token: auth, body: QUERY })).status).toBe(200);
  });
});
