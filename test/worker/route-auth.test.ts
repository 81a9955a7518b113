/**
 * Every protected route, table-driven: no credentials → 401, a credential without the route's scope → 403,
 * bad input → 400 naming the field. A last test fails if a route in /openapi.json is missing from the table.
 */
import { describe, it } from "vitest";
import { ADMIN, call, json, registerBot, token } from "./helpers";

interface RouteCase {
  method: string;
  path: string;
  scope: string;
  body?: unknown;
  bad?: { path?: string; body?: unknown; query?: string; field: string; code?: string };
}

const BOT = "00000000-0000-5000-8000-000000000000";
const ITEM = "00000000-0000-4000-8000-000000000000";

const ROUTES: RouteCase[] = [
  {
    method: "POST",
    path: "/v1/botz/register",
    scope: "botz:write",
    body: { botz_name: "b", instance_id: "x", skill_level: "basic" },
    bad: { body: { botz_name: "b", instance_id: "x", skill_level: "wizard" }, field: "body.skill_level" },
  },
  {
    method: "POST",
    path: "/v1/botz/heartbeat",
    scope: "botz:write",
    body: { botz_id: BOT },
    bad: { body: { botz_id: BOT, status: "stale" }, field: "body.status" },
  },
  { method: "GET", path: "/v1/botz/instances", scope: "botz:read", bad: { query: "?limit=0", field: "query.limit" } },
  {
    method: "GET",
    path: `/v1/botz/${BOT}`,
    scope: "botz:read",
    bad: { path: `/v1/botz/${"x".repeat(300)}`, field: "param.botz_id" },
  },
  {
    method: "POST",
    path: "/v1/workitems",
    scope: "workitems:write",
    body: { title: "t" },
    bad: { body: { items: [{ title: "" }] }, field: "body.items.0.title" },
  },
  {
    method: "POST",
    path: "/v1/workitems/list",
    scope: "workitems:read",
    body: {},
    bad: { body: { limit: 100000 }, field: "body.limit" },
  },
  {
    method: "POST",
    path: "/v1/workitems/claim",
    scope: "workitems:claim",
    body: { botz_id: BOT },
    bad: { body: { work_item_id: ITEM }, field: "body.botz_id" },
  },
  {
    method: "POST",
    path: "/v1/workitems/complete",
    scope: "workitems:claim",
    body: { work_item_id: ITEM, botz_id: BOT, fencing_token: 1 },
    bad: { body: { work_item_id: ITEM, botz_id: BOT, fencing_token: "one" }, field: "body.fencing_token" },
  },
  {
    method: "GET",
    path: `/v1/workitems/${ITEM}`,
    scope: "workitems:read",
    bad: { path: `/v1/workitems/${"y".repeat(300)}`, field: "param.work_item_id" },
  },
  { method: "GET", path: "/v1/stats", scope: "botz:read" },
  { method: "GET", path: "/metrics", scope: "metrics:read" },
  {
    method: "POST",
    path: "/v1/admin/api-keys",
    scope: "admin",
    body: { name: "k", scopes: ["botz:read"] },
    bad: { body: { name: "k", scopes: ["root"] }, field: "body.scopes.0" },
  },
  { method: "GET", path: "/v1/admin/api-keys", scope: "admin" },
  {
    method: "DELETE",
    path: `/v1/admin/api-keys/${ITEM}`,
    scope: "admin",
    bad: { path: "/v1/admin/api-keys/not-a-uuid", field: "param.id" },
  },
  {
    method: "PUT",
    path: "/api/v1/config/rate_limits",
    scope: "admin",
    body: { limits: [{ key: "route-auth:*", capacity: 100, refill_rate: "100/hour", burst_capacity: 10 }] },
    bad: {
      body: { limits: [{ key: "k", capacity: 1, refill_rate: "5/fortnight", burst_capacity: 1 }] },
      field: "body.limits.0.refill_rate",
    },
  },
  { method: "GET", path: "/api/v1/config/rate_limits", scope: "admin" },
  {
    method: "POST",
    path: "/api/v1/resources/request",
    scope: "resources:request",
    body: { component: "auth", type: "GPU_COMPUTE", amount: 1, duration_ms: 1000 },
    bad: { body: { component: "auth", type: "GPU_COMPUTE", amount: 0, duration_ms: 1000 }, field: "body.amount" },
  },
  {
    method: "POST",
    path: "/api/v1/resources/release",
    scope: "resources:request",
    body: { grant_id: ITEM },
    bad: { body: { grant_id: "" }, field: "body.grant_id" },
  },
  { method: "GET", path: "/api/v1/resources/status", scope: "resources:read" },
  {
    method: "GET",
    path: `/api/v1/resources/requests/${ITEM}`,
    scope: "resources:read",
    bad: { path: "/api/v1/resources/requests/not-a-uuid", field: "param.request_id" },
  },
  {
    method: "DELETE",
    path: `/api/v1/resources/requests/${ITEM}`,
    scope: "resources:request",
    bad: { path: "/api/v1/resources/requests/not-a-uuid", field: "param.request_id" },
  },
  {
    method: "GET",
    path: "/api/v1/events/stream",
    scope: "events:read",
    bad: { query: "?since=-1", field: "query.since" },
  },
  {
    method: "POST",
    path: "/api/v1/events",
    scope: "events:publish",
    body: { type: "route.auth.v1", source: "route-auth", payload: {} },
    bad: {
      body: { type: "GAME_STATE", source: "s", payload: { ante: "x" } },
      field: "body.payload.ante",
      code: "invalid_payload",
    },
  },
  { method: "GET", path: "/api/v1/events", scope: "events:read", bad: { query: "?limit=0", field: "query.limit" } },
  {
    method: "GET",
    path: `/api/v1/events/${ITEM}`,
    scope: "events:read",
    bad: { path: "/api/v1/events/not-a-uuid", field: "param.event_id" },
  },
  {
    method: "GET",
    path: "/api/v1/dead-letters",
    scope: "events:read",
    bad: { query: "?limit=0", field: "query.limit" },
  },
  {
    method: "POST",
    path: `/api/v1/dead-letters/${ITEM}/replay`,
    scope: "events:replay",
    bad: { path: "/api/v1/dead-letters/not-a-uuid/replay", field: "param.id" },
  },
  {
    method: "POST",
    path: "/api/v1/dead-letters/replay",
    scope: "events:replay",
    body: {},
    bad: { body: { limit: 0 }, field: "body.limit" },
  },
  // sub "tester" (every test token's) is the device id here: past auth, a plain GET is then 426, not 401/403.
  {
    method: "GET",
    path: "/api/v1/edge/tester/connect",
    scope: "edge:device",
    bad: { path: "/api/v1/edge/Not_A_Device/connect", field: "param.device_id" },
  },
  // No `body`: this route also takes text/plain TOML, so the shared "non-JSON body → 415" case does not apply.
  { method: "PUT", path: "/api/v1/models/config", scope: "admin", bad: { body: { toml: 5 }, field: "body.toml" } },
  { method: "GET", path: "/api/v1/models/config", scope: "models:read" },
  {
    method: "POST",
    path: "/inference",
    scope: "models:infer",
    body: { model_name: "no-such-model", input: { messages: [] } },
    bad: { body: { input: { messages: [] } }, field: "body.function_name" },
  },
  {
    method: "POST",
    path: "/openai/v1/chat/completions",
    scope: "models:infer",
    body: { model: "no-such-model", messages: [{ role: "user", content: "hi" }] },
    bad: { body: { model: "x", messages: [] }, field: "body.messages" },
  },
  {
    method: "POST",
    path: "/openai/v1/embeddings",
    scope: "models:infer",
    body: { model: "no-such-model", input: "hi" },
    bad: { body: { model: "x" }, field: "body.input" },
  },
  { method: "GET", path: "/openai/v1/models", scope: "models:infer" },
  {
    method: "POST",
    path: "/feedback",
    scope: "models:feedback",
    body: { metric_name: "m", inference_id: ITEM, value: true },
    bad: { body: { metric_name: "m", value: true }, field: "body.inference_id" },
  },
  { method: "GET", path: "/inferences", scope: "models:read", bad: { query: "?limit=0", field: "query.limit" } },
  {
    method: "GET",
    path: `/inferences/${ITEM}`,
    scope: "models:read",
    bad: { path: "/inferences/not-a-uuid", field: "param.inference_id" },
  },
  {
    method: "GET",
    path: `/episodes/${ITEM}`,
    scope: "models:read",
    bad: { path: "/episodes/not-a-uuid", field: "param.episode_id" },
  },
];

const PUBLIC = ["GET /healthz", "GET /health", "GET /openapi.json"];

function otherScope(scope: string): string {
  return scope === "botz:read" ? "workitems:read" : "botz:read";
}

describe("protected routes", () => {
  for (const route of ROUTES) {
    describe(`${route.method} ${route.path.replace(/[0-9a-f-]{36}/, "{id}")}`, () => {
      it("should answer 401 in the error shape without credentials", async ({ expect }) => {
        const res = await call(route.path, { method: route.method, body: route.body });
        expect(res.status).toBe(401);
        const body = await json<{ error: { code: string; message: string } }>(res);
        expect(body.error.code).toBe("unauthorized");
      });

      it("should answer 401 for a token signed with another secret", async ({ expect }) => {
        const forged = await token(["admin"], { secret: "not-the-secret-not-the-secret-xx" });
        const res = await call(route.path, { method: route.method, body: route.body, token: forged });
        expect(res.status).toBe(401);
      });

      it("should answer 403 naming the scope when the token lacks it", async ({ expect }) => {
        const res = await call(route.path, {
          method: route.method,
          body: route.body,
          token: await token([otherScope(route.scope)]),
        });
        expect(res.status).toBe(403);
        const body = await json<{ error: { code: string; details: { required: string } } }>(res);
        expect(body.error.code).toBe("forbidden");
        expect(body.error.details.required).toBe(route.scope);
      });

      it("should let the route's own scope and admin through auth", async ({ expect }) => {
        for (const auth of [await token([route.scope]), await ADMIN()]) {
          const res = await call(route.path, { method: route.method, body: route.body, token: auth });
          expect([401, 403]).not.toContain(res.status);
        }
      });

      if (route.bad) {
        const bad = route.bad;
        it(`should answer 400 naming ${bad.field} for bad input`, async ({ expect }) => {
          const path = (bad.path ?? route.path) + (bad.query ?? "");
          const res = await call(path, { method: route.method, body: bad.body, token: await ADMIN() });
          expect(res.status).toBe(400);
          const body = await json<{
            error: { code: string; message: string; details: { issues: { field: string }[] } };
          }>(res);
          expect(body.error.code).toBe(bad.code ?? "invalid_input");
          expect(body.error.message).toContain(bad.field);
          expect(body.error.details.issues.map((i) => i.field)).toContain(bad.field);
        });
      }

      if (route.body !== undefined) {
        it("should answer 400 for malformed JSON and 415 for a non-JSON body", async ({ expect }) => {
          const auth = await ADMIN();
          const malformed = await call(route.path, { method: route.method, body: "{not json", token: auth });
          expect(malformed.status).toBe(400);
          const wrongType = await call(route.path, {
            method: route.method,
            body: "a=b",
            token: auth,
            headers: { "content-type": "text/plain" },
          });
          expect(wrongType.status).toBe(415);
          expect((await json<{ error: { code: string } }>(wrongType)).error.code).toBe("unsupported_media_type");
        });
      }
    });
  }

  it("should cover every operation in /openapi.json", async ({ expect }) => {
    const doc = await json<{ paths: Record<string, Record<string, unknown>> }>(await call("/openapi.json"));
    const documented = Object.entries(doc.paths).flatMap(([p, ops]) =>
      Object.keys(ops).map((m) => `${m.toUpperCase()} ${p}`),
    );
    const tested = new Set([
      ...PUBLIC,
      ...ROUTES.map(
        (r) =>
          `${r.method} ${r.path.replace(`/v1/botz/${BOT}`, "/v1/botz/{botz_id}").replace(`/v1/workitems/${ITEM}`, "/v1/workitems/{work_item_id}").replace(`/v1/admin/api-keys/${ITEM}`, "/v1/admin/api-keys/{id}").replace(`/api/v1/resources/requests/${ITEM}`, "/api/v1/resources/requests/{request_id}").replace(`/api/v1/events/${ITEM}`, "/api/v1/events/{event_id}").replace(`/api/v1/dead-letters/${ITEM}/replay`, "/api/v1/dead-letters/{id}/replay").replace(`/inferences/${ITEM}`, "/inferences/{inference_id}").replace(`/episodes/${ITEM}`, "/episodes/{episode_id}").replace("/api/v1/edge/tester/connect", "/api/v1/edge/{device_id}/connect")}`,
      ),
    ]);
    expect(documented.filter((op) => !tested.has(op))).toEqual([]);
  });

  it("should accept a bot registered with a scoped token end to end", async ({ expect }) => {
    const id = await registerBot("basic", await token(["botz:write"]));
    expect(id).toMatch(/^[0-9a-f-]{36}$/);
  });
});
