/**
 * `/api/v1/resources`: request a grant (waiting up to RESOURCE_REQUEST_TIMEOUT, then 202), release it, read
 * the coordinator's status and one request's state, withdraw a waiting request.
 */
import { createRoute } from "@hono/zod-openapi";
import { requireScope } from "../platform/auth/middleware";
import { AppError, unwrap } from "../platform/errors";
import { bearerSecurity, ErrorSchema, errorResponses, jsonContent } from "../platform/openapi";
import { formatTraceparent } from "../platform/trace";
import { createRouter } from "../platform/validation";
import { readResourceSettings } from "./config";
import { resourceCoordinator } from "../../durable-objects/resource-coordinator-client";
import {
  GrantSchema,
  ReleaseBodySchema,
  RequestIdParamSchema,
  RequestViewSchema,
  ResourceRequestBodySchema,
  ResourceStatusSchema,
  WaitingResponseSchema,
} from "./schemas";

const tags = ["resources"];

const request = createRoute({
  method: "post",
  path: "/api/v1/resources/request",
  tags,
  summary: "Request a resource grant; waits for capacity up to RESOURCE_REQUEST_TIMEOUT",
  security: bearerSecurity,
  middleware: [requireScope("resources:request")] as const,
  request: { body: { required: true, ...jsonContent(ResourceRequestBodySchema) } },
  responses: {
    200: { description: "Granted", ...jsonContent(GrantSchema) },
    202: {
      description: "Still waiting for capacity; poll the request or watch resources.granted.v1",
      ...jsonContent(WaitingResponseSchema),
    },
    422: { description: "The amount exceeds the resource's whole capacity", ...jsonContent(ErrorSchema) },
    ...errorResponses(400, 401, 403, 415),
  },
});

const release = createRoute({
  method: "post",
  path: "/api/v1/resources/release",
  tags,
  summary: "Release a grant",
  security: bearerSecurity,
  middleware: [requireScope("resources:request")] as const,
  request: { body: { required: true, ...jsonContent(ReleaseBodySchema) } },
  responses: {
    200: { description: "The released grant", ...jsonContent(GrantSchema) },
    ...errorResponses(400, 401, 403, 404, 409, 415),
  },
});

const status = createRoute({
  method: "get",
  path: "/api/v1/resources/status",
  tags,
  summary: "Capacity, grants and waiting requests per resource type",
  security: bearerSecurity,
  middleware: [requireScope("resources:read")] as const,
  responses: { 200: { description: "Status", ...jsonContent(ResourceStatusSchema) }, ...errorResponses(401, 403) },
});

const getRequest = createRoute({
  method: "get",
  path: "/api/v1/resources/requests/{request_id}",
  tags,
  summary: "One request's state, with its grant once granted",
  security: bearerSecurity,
  middleware: [requireScope("resources:read")] as const,
  request: { params: RequestIdParamSchema },
  responses: {
    200: { description: "The request", ...jsonContent(RequestViewSchema) },
    ...errorResponses(400, 401, 403, 404),
  },
});

const cancel = createRoute({
  method: "delete",
  path: "/api/v1/resources/requests/{request_id}",
  tags,
  summary: "Withdraw a waiting request",
  security: bearerSecurity,
  middleware: [requireScope("resources:request")] as const,
  request: { params: RequestIdParamSchema },
  responses: {
    200: { description: "The cancelled request", ...jsonContent(RequestViewSchema) },
    ...errorResponses(400, 401, 403, 404, 409),
  },
});

export const resourceRoutes = createRouter()
  .openapi(request, async (c) => {
    const settings = readResourceSettings(c.env);
    const { timeout_ms, ...input } = c.req.valid("json");
    if (timeout_ms !== undefined && timeout_ms > settings.requestTimeoutMs) {
      const message = `must be at most ${settings.requestTimeoutMs} (RESOURCE_REQUEST_TIMEOUT)`;
      throw new AppError(400, "invalid_input", `body.timeout_ms: ${message}`, {
        issues: [{ field: "body.timeout_ms", message }],
      });
    }
    const result = unwrap(
      await resourceCoordinator(c.env).request(
        input,
        timeout_ms ?? settings.requestTimeoutMs,
        formatTraceparent(c.get("trace")),
      ),
    );
    if (result.outcome === "granted") return c.json(result.grant, 200);
    return c.json({ request_id: result.request_id, status: "waiting" as const, position: result.position }, 202);
  })
  .openapi(release, async (c) => {
    const { grant } = unwrap(
      await resourceCoordinator(c.env).release(c.req.valid("json").grant_id, formatTraceparent(c.get("trace"))),
    );
    return c.json(grant, 200);
  })
  .openapi(status, async (c) => c.json(await resourceCoordinator(c.env).status(), 200))
  .openapi(getRequest, async (c) => {
    const { request } = unwrap(await resourceCoordinator(c.env).getRequest(c.req.valid("param").request_id));
    return c.json(request, 200);
  })
  .openapi(cancel, async (c) => {
    const { request } = unwrap(
      await resourceCoordinator(c.env).cancel(c.req.valid("param").request_id, formatTraceparent(c.get("trace"))),
    );
    return c.json(request, 200);
  });
