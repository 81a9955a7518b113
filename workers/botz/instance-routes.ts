/**
 * BoTZ instance routes: register, heartbeat, list, read (seed 000 paths).
 */
import { createRoute } from "@hono/zod-openapi";
import { requireScope } from "../platform/auth/middleware";
import { readConfig } from "../platform/config";
import { unwrap } from "../platform/errors";
import { bearerSecurity, errorResponses, jsonContent } from "../platform/openapi";
import { formatTraceparent } from "../platform/trace";
import { createRouter } from "../platform/validation";
import { botzRegistry } from "../../durable-objects/botz-registry-client";
import { toRegisterInput } from "./registry";
import {
  BotzIdParamSchema,
  HeartbeatBodySchema,
  HeartbeatResponseSchema,
  InstanceListQuerySchema,
  InstanceListSchema,
  InstanceSchema,
  RegisterBodySchema,
  RegisterResponseSchema,
} from "./schemas";

const tags = ["botz"];

const register = createRoute({
  method: "post",
  path: "/v1/botz/register",
  tags,
  summary: "Register a BoTZ instance (re-registering an instance_id updates it)",
  security: bearerSecurity,
  middleware: [requireScope("botz:write")] as const,
  request: { body: { required: true, ...jsonContent(RegisterBodySchema) } },
  responses: {
    200: { description: "Existing instance updated", ...jsonContent(RegisterResponseSchema) },
    201: { description: "Instance registered", ...jsonContent(RegisterResponseSchema) },
    ...errorResponses(400, 401, 403, 415),
  },
});

const heartbeat = createRoute({
  method: "post",
  path: "/v1/botz/heartbeat",
  tags,
  summary: "Record a heartbeat; extends the instance's claim leases",
  security: bearerSecurity,
  middleware: [requireScope("botz:write")] as const,
  request: { body: { required: true, ...jsonContent(HeartbeatBodySchema) } },
  responses: {
    200: { description: "Heartbeat recorded", ...jsonContent(HeartbeatResponseSchema) },
    ...errorResponses(400, 401, 403, 404, 415),
  },
});

const list = createRoute({
  method: "get",
  path: "/v1/botz/instances",
  tags,
  summary: "List instances",
  security: bearerSecurity,
  middleware: [requireScope("botz:read")] as const,
  request: { query: InstanceListQuerySchema },
  responses: {
    200: { description: "Instances", ...jsonContent(InstanceListSchema) },
    ...errorResponses(400, 401, 403),
  },
});

const get = createRoute({
  method: "get",
  path: "/v1/botz/{botz_id}",
  tags,
  summary: "Read one instance",
  security: bearerSecurity,
  middleware: [requireScope("botz:read")] as const,
  request: { params: BotzIdParamSchema },
  responses: {
    200: { description: "The instance", ...jsonContent(InstanceSchema) },
    ...errorResponses(400, 401, 403, 404),
  },
});

export const instanceRoutes = createRouter()
  .openapi(register, async (c) => {
    const input = await toRegisterInput(c.req.valid("json"));
    const { instance, created } = await botzRegistry(c.env).register(input, formatTraceparent(c.get("trace")));
    const body = {
      botz_id: instance.botz_id,
      created,
      heartbeat_interval_s: readConfig(c.env).botz.heartbeatIntervalS,
      instance,
    };
    return created ? c.json(body, 201) : c.json(body, 200);
  })
  .openapi(heartbeat, async (c) => {
    const { instance, leases_extended } = unwrap(await botzRegistry(c.env).heartbeat(c.req.valid("json")));
    return c.json(
      {
        botz_id: instance.botz_id,
        status: instance.status,
        heartbeat_interval_s: readConfig(c.env).botz.heartbeatIntervalS,
        leases_extended,
        instance,
      },
      200,
    );
  })
  .openapi(list, async (c) => {
    const instances = await botzRegistry(c.env).listInstances(c.req.valid("query"));
    return c.json({ instances, count: instances.length }, 200);
  })
  .openapi(get, async (c) => {
    const { instance } = unwrap(await botzRegistry(c.env).getInstance(c.req.valid("param").botz_id));
    return c.json(instance, 200);
  });
