/**
 * The first middleware on every request: continues or starts the W3C trace, gives the request its logger,
 * echoes `traceparent`, records the request in `jimbot_request_duration_seconds` and, when TRACE_ENDPOINT is
 * set, as a server span (both in memory; flushes happen in `waitUntil`, after the response).
 */
import type { MiddlewareHandler } from "hono";
import { routePath } from "hono/route";
import type { AppEnv } from "./app-env";
import { createLogger } from "./logger";
import { requestDuration } from "./metrics/catalog";
import { observe, scheduleFlush } from "./metrics/recorder";
import { recordSpan } from "./otel/exporter";
import { formatTraceparent, startSpan } from "./trace";

/** Maps a matched route pattern to the `service` label. */
export type ServiceOf = (routePattern: string) => string;

export function requestContext(serviceOf: ServiceOf): MiddlewareHandler<AppEnv> {
  return async function requestContextMiddleware(c, next) {
    const start = Date.now();
    const trace = startSpan(c.req.header("traceparent"));
    const log = createLogger("http", c.env.LOG_LEVEL, trace);
    c.set("trace", trace);
    c.set("logger", log);
    await next();
    c.header("traceparent", formatTraceparent(trace));
    const pattern = routePath(c, -1);
    const matched = pattern !== "*" && pattern !== "/*";
    const seconds = (Date.now() - start) / 1000;
    const status = c.res.status;
    observe(
      requestDuration,
      {
        service: matched ? serviceOf(pattern) : "none",
        method: matched ? `${c.req.method} ${pattern}` : "unmatched",
        status,
      },
      seconds,
    );
    log.debug("request", { method: c.req.method, path: c.req.path, status, duration_ms: seconds * 1000 });
    const waitUntil = (p: Promise<unknown>) => c.executionCtx.waitUntil(p);
    scheduleFlush(c.env, waitUntil);
    const name = matched ? `${c.req.method} ${pattern}` : c.req.method;
    recordSpan(
      c.env,
      {
        trace,
        name,
        kind: "server",
        startMs: start,
        endMs: Date.now(),
        error: status >= 500,
        attributes: { "http.request.method": c.req.method, "http.route": pattern, "http.response.status_code": status },
      },
      waitUntil,
    );
  };
}
