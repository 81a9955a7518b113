/**
 * notFound that tells 404 from 405: a path that some route serves under another method gets 405 with an
 * `Allow` header, computed from the OpenAPI registry so it can never drift from the real routes.
 */
import type { OpenAPIHono } from "@hono/zod-openapi";
import type { Context } from "hono";
import type { AppEnv } from "./app-env";
import { errorBody } from "./errors";

interface RouteMatcher {
  method: string;
  pattern: RegExp;
}

function matchersOf(app: OpenAPIHono<AppEnv>): RouteMatcher[] {
  const out: RouteMatcher[] = [];
  for (const def of app.openAPIRegistry.definitions) {
    if (def.type !== "route") continue;
    const source = def.route.path.replace(/[.*+?^$()|[\]\\]/g, "\\$&").replace(/\{[^}]+\}/g, "[^/]+");
    out.push({ method: def.route.method.toUpperCase(), pattern: new RegExp(`^${source}/?$`) });
  }
  return out;
}

export function notFoundHandler(app: OpenAPIHono<AppEnv>) {
  let matchers: RouteMatcher[] | null = null;
  return function notFound(c: Context<AppEnv>): Response {
    matchers ??= matchersOf(app);
    const allowed = [...new Set(matchers.filter((m) => m.pattern.test(c.req.path)).map((m) => m.method))];
    if (allowed.length > 0) {
      return c.json(
        errorBody("method_not_allowed", `${c.req.method} is not allowed on ${c.req.path}`, { allow: allowed }),
        405,
        { Allow: allowed.join(", ") },
      );
    }
    return c.json(errorBody("not_found", `no route for ${c.req.method} ${c.req.path}`), 404);
  };
}
