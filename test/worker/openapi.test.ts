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
  info: { title: string; description: string };
  paths: Record<string, Record<string, Operation>>;
  components: { securitySchemes: Record<string, unknown>; schemas: Record<string, unknown> };
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

  it("should mark every operation but the public ones as secured and document 401/403", async ({ expect }) => {
    const doc = await json<Doc>(await call("/openapi.json"));
    const open = ["/healthz", "/health"];
    for (const [path, ops] of Object.entries(doc.paths)) {
      for (const [method, op] of Object.entries(ops)) {
        if (open.includes(path)) continue;
        expect(op.security, `${method} ${path}`).toBeDefined();
        expect(Object.keys(op.responses), `${method} ${path}`).toEqual(expect.arrayContaining(["401", "403"]));
      }
    }
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
