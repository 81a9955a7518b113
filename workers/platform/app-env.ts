/**
 * Hono's environment for botplane: bindings plus the per-request variables the platform middleware sets.
 */
import type { OpenAPIHono } from "@hono/zod-openapi";
import type { Env } from "./env";
import type { Logger } from "./logger";
import type { TraceContext } from "./trace";

/** Who is calling: a verified JWT or an API key, with the scopes it carries. */
export interface Principal {
  kind: "jwt" | "api_key";
  sub: string;
  scopes: readonly string[];
  workspaceId?: string;
  keyId?: string;
}

export interface AppEnv {
  Bindings: Env;
  Variables: {
    trace: TraceContext;
    logger: Logger;
    principal: Principal;
    /** Set by routes that want their metrics labelled with a service other than the path's domain. */
    service: string;
  };
}

export type App = OpenAPIHono<AppEnv>;
