/**
 * The generated OpenAPI document, and the router's 404 / 405 answers in the one error shape.
 */
import { describe, it } from "vitest";
import { SCOPES } from "../../workers/platform/auth/scopes";
import { call, json } from "./helpers";

interface Operation {
  security?: Record<string, string[]>[];
  responses: Record<string, unknown>;
  requestBody?: { content: Record<string, unknown> };
}
interface Doc {
  openapi: string;
  security?: Record<string, string[]>[];
  info: { title: string; description: string };
  paths: Record<string, Record<string, Operation>>;
  components: { securitySchemes: Record<string, unknown>; schemas: Record<string, unknown> };
}

// No Bearer token: Twilio's webhooks carry X-Twilio-Signature and /discord/interactions Discord's Ed25519
// signature (route-auth.test.ts checks they refuse unsigned requests).
/** Secured, but with no scope to lack: GET /api/v1/whoami. */
const ANY_PRINCIPAL_PATHS = ["/api/v1/whoami"];
const PUBLIC_PATHS = [
  "/healthz",
  "/health",
  "/discord/interactions",
  "/sms/inbound",
  "/voice/inbound",
  "/voice/inbound/answer",
  "/voice/inbound/wait",
];

/**
 * Why each operation's declared security would not make a client send credentials (or, for a public path,
 * would demand them); [] when every operation is right. `security: []` and `[{}]` both mean "no credentials
 * needed" in OpenAPI, so presence alone proves nothing.
 */
function securityProblems(doc: Doc, open: readonly string[]): string[] {
  const declared = new Set(Object.keys(doc.components.securitySchemes));
  const problems: string[] = [];
  for (const [path, ops] of Object.entries(doc.paths)) {
    for (const [method, op] of Object.entries(ops)) {
      const where = `${method.toUpperCase()} ${path}`;
      const security = op.security ?? doc.security ?? [];
      const named = [...new Set(security.flatMap((req) => Object.keys(req)))].sort();
      if (open.includes(path)) {
        if (named.length > 0) problems.push(`${where}: public, yet requires ${named.join(", ")}`);
        continue;
      }
      if (security.length === 0) problems.push(`${where}: no security requirement`);
      else if (security.some((req) => Object.keys(req).length === 0))
        problems.push(`${where}: an empty requirement makes credentials optional`);
      const undeclared = named.filter((n) => !declared.has(n));
      if (undeclared.length > 0) problems.push(`${where}: names undeclared scheme ${undeclared.join(", ")}`);
      if (named.join() !== "apiKey,bearer")
        problems.push(`${where}: offers [${named.join(", ")}], not apiKey and bearer`);
    }
  }
  return problems;
}

describe("GET /openapi.json", () => {
  it("should be an OpenAPI 3.1 document generated from the route schemas", async ({ expect }) => {
    const res = await call("/openapi.json");
    expect(res.status).toBe(200);
    const doc = await json<Doc>(res);
    expect(doc.openapi).toBe("3.1.0");
    expect(Object.keys(doc.components.securitySchemes).sort()).toEqual(["apiKey", "bearer"]);
    expect(doc.components.schemas).toHaveProperty("RegisterRequest");
    expect(doc.components.schemas).toHaveProperty("Error");
    const register = doc.paths["/v1/botz/register"]?.post;
    expect(register?.requestBody?.content).toHaveProperty("application/json");
    for (const scope of Object.keys(SCOPES)) expect(doc.info.description).toContain(`\`${scope}\``);
  });

  it("should document the JimBot knowledge graph and analytics routes with their bodies", async ({ expect }) => {
    const doc = await json<Doc>(await call("/openapi.json"));
    expect(doc.components.schemas).toHaveProperty("GraphQLRequest");
    expect(doc.components.schemas).toHaveProperty("AnalyticsQuery");
    expect(doc.paths["/graphql"]?.post?.requestBody?.content).toHaveProperty("application/json");
    expect(Object.keys(doc.paths["/graphql"]?.post?.responses ?? {}).sort()).toEqual(
      ["200", "400", "401", "403", "415", "429", "504"].sort(),
    );
    expect(Object.keys(doc.paths["/graphql"]?.get?.responses ?? {})).toContain("405");
    expect(Object.keys(doc.paths["/api/v1/query"]?.post?.requestBody?.content ?? {})).toEqual([
      "application/json",
      "text/plain",
    ]);
    expect(doc.paths["/ws/knowledge"]?.get?.responses).toHaveProperty("101");
    expect(doc.paths["/ws/metrics"]?.get?.responses).toHaveProperty("101");
  });

  it("should mark every operation but the public ones as secured and document 401/403", async ({ expect }) => {
    const doc = await json<Doc>(await call("/openapi.json"));
    const open = PUBLIC_PATHS;
    expect(securityProblems(doc, open)).toEqual([]);
    expect(doc.paths["/v1/stats"]?.get?.security).toEqual([{ bearer: [] }, { apiKey: [] }]);
    for (const [path, ops] of Object.entries(doc.paths)) {
      for (const [method, op] of Object.entries(ops)) {
        if (open.includes(path)) continue;
        // Routes any valid credential may call (the caller describing itself) can refuse with 401 only.
        const refusals = ANY_PRINCIPAL_PATHS.includes(path) ? ["401"] : ["401", "403"];
        expect(Object.keys(op.responses), `${method} ${path}`).toEqual(expect.arrayContaining(refusals));
      }
    }
  });
});

describe("GET /openapi.json: the JimBot services (seed 002)", () => {
  it("should document the seed's messages and both body forms of GetDecision", async ({ expect }) => {
    const doc = await json<{
      paths: Record<string, Record<string, { requestBody?: { content: Record<string, unknown> } }>>;
      components: { schemas: Record<string, unknown> };
    }>(await call("/openapi.json"));
    for (const name of [
      "StrategyRequest",
      "StrategyResponse",
      "LearningDecisionRequest",
      "LearningDecisionResponse",
      "GameStateEvent",
      "TrainingJobSpec",
      "ModelMetrics",
    ])
      expect(doc.components.schemas[name], name).toBeDefined();
    expect(Object.keys(doc.paths["/api/v1/decisions"]?.post?.requestBody?.content ?? {})).toEqual([
      "application/json",
      "application/x-protobuf",
    ]);
    expect(Object.keys(doc.paths["/api/v1/strategies/cache"] ?? {}).sort()).toEqual(["delete", "get"]);
  });
});

describe("securityProblems", () => {
  it("should reject a protected operation whose security is empty, optional, partial or undeclared", ({ expect }) => {
    const ok = { responses: {} };
    const doc: Doc = {
      openapi: "3.1.0",
      info: { title: "t", description: "" },
      components: { securitySchemes: { bearer: {}, apiKey: {} }, schemas: {} },
      paths: {
        "/healthz": { get: ok },
        "/health": { get: { ...ok, security: [{ bearer: [] }] } },
        "/good": { get: { ...ok, security: [{ bearer: [] }, { apiKey: [] }] } },
        "/empty": { get: { ...ok, security: [] } },
        "/missing": { post: ok },
        "/optional": { get: { ...ok, security: [{ bearer: [] }, { apiKey: [] }, {}] } },
        "/bearer-only": { get: { ...ok, security: [{ bearer: [] }] } },
        "/basic": { get: { ...ok, security: [{ bearer: [] }, { apiKey: [] }, { basic: [] }] } },
      },
    };
    expect(securityProblems(doc, PUBLIC_PATHS)).toEqual([
      "GET /health: public, yet requires bearer",
      "GET /empty: no security requirement",
      "GET /empty: offers [], not apiKey and bearer",
      "POST /missing: no security requirement",
      "POST /missing: offers [], not apiKey and bearer",
      "GET /optional: an empty requirement makes credentials optional",
      "GET /bearer-only: offers [bearer], not apiKey and bearer",
      "GET /basic: names undeclared scheme basic",
      "GET /basic: offers [apiKey, basic, bearer], not apiKey and bearer",
    ]);
  });

  it("should let a document-wide requirement stand in for an operation's own", ({ expect }) => {
    const doc: Doc = {
      openapi: "3.1.0",
      info: { title: "t", description: "" },
      security: [{ bearer: [] }, { apiKey: [] }],
      components: { securitySchemes: { bearer: {}, apiKey: {} }, schemas: {} },
      paths: { "/inherits": { get: { responses: {} } }, "/opts-out": { get: { responses: {}, security: [] } } },
    };
    expect(securityProblems(doc, PUBLIC_PATHS)).toEqual([
      "GET /opts-out: no security requirement",
      "GET /opts-out: offers [], not apiKey and bearer",
    ]);
  });
});

describe("unknown routes", () => {
  it("should answer 404 in the error shape", async ({ expect }) => {
    const res = await call("/v1/nothing-here");
    expect(res.status).toBe(404);
    expect(await json(res)).toMatchObject({ error: { code: "not_found" } });
  });

  it("should answer 405 with Allow for a known path under the wrong method", async ({ expect }) => {
    const res = await call("/v1/workitems", { method: "GET" });
    expect(res.status).toBe(405);
    expect(res.headers.get("allow")).toBe("POST");
    expect(await json(res)).toMatchObject({ error: { code: "method_not_allowed" } });
    const del = await call("/v1/botz/some-id", { method: "DELETE" });
    expect(del.status).toBe(405);
    expect(del.headers.get("allow")).toBe("GET");
  });
});
