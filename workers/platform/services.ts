/**
 * Which domain served a request, for the `service` label of `jimbot_request_duration_seconds`: a domain's
 * routers are mounted through `mount(app, service, router)`, which records every route pattern they serve,
 * so a new domain cannot be mislabelled by a forgotten entry in a hand-kept table.
 */
import type { OpenAPIHono } from "@hono/zod-openapi";
import type { Schema } from "hono";
import type { App, AppEnv } from "./app-env";

export interface ServiceMap {
  mount<S extends Schema>(app: App, service: string, router: OpenAPIHono<AppEnv, S>): void;
  /** The service of a matched route pattern; `platform` for what no domain mounted (health, metrics). */
  serviceOf(pattern: string): string;
}

export function createServiceMap(): ServiceMap {
  const byPattern = new Map<string, string>();
  return {
    mount(app, service, router) {
      app.route("/", router);
      for (const route of router.routes) if (route.method !== "ALL") byPattern.set(route.path, service);
    },
    serviceOf: (pattern) => byPattern.get(pattern) ?? "platform",
  };
}
