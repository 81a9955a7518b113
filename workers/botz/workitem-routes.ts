/**
 * Work item routes: create, list, claim, complete, read (seed 000 paths). The registry decides every claim;
 * these handlers validate, call it once, and count the outcome.
 */
import { createRoute } from "@hono/zod-openapi";
import { requireScope } from "../platform/auth/middleware";
import { unwrap } from "../platform/errors";
import { botzClaims } from "../platform/metrics/catalog";
import { increment } from "../platform/metrics/recorder";
import { bearerSecurity, errorResponses, jsonContent } from "../platform/openapi";
import { formatTraceparent } from "../platform/trace";
import { createRouter } from "../platform/validation";
import { botzRegistry } from "../../durable-objects/botz-registry-client";
import {
  ClaimBodySchema,
  ClaimSchema,
  CompleteBodySchema,
  CreateWorkItemsBodySchema,
  CreateWorkItemsResponseSchema,
  WorkItemIdParamSchema,
  WorkItemListBodySchema,
  WorkItemListSchema,
  WorkItemSchema,
} from "./schemas";

const tags = ["workitems"];

const create = createRoute({
  method: "post",
  path: "/v1/workitems",
  tags,
  summary: "Create one work item, or up to 100 as {items: [...]}",
  security: bearerSecurity,
  middleware: [requireScope("workitems:write")] as const,
  request: { body: { required: true, ...jsonContent(CreateWorkItemsBodySchema) } },
  responses: {
    201: { description: "Created", ...jsonContent(CreateWorkItemsResponseSchema) },
    ...errorResponses(400, 401, 403, 415),
  },
});

const list = createRoute({
  method: "post",
  path: "/v1/workitems/list",
  tags,
  summary: "List work items by priority, then age",
  security: bearerSecurity,
  middleware: [requireScope("workitems:read")] as const,
  request: { body: { required: true, ...jsonContent(WorkItemListBodySchema) } },
  responses: {
    200: { description: "Work items", ...jsonContent(WorkItemListSchema) },
    ...errorResponses(400, 401, 403, 415),
  },
});

const claim = createRoute({
  method: "post",
  path: "/v1/workitems/claim",
  tags,
  summary: "Claim a work item (or the next one this instance may claim); returns a lease and fencing token",
  security: bearerSecurity,
  middleware: [requireScope("workitems:claim")] as const,
  request: { body: { required: true, ...jsonContent(ClaimBodySchema) } },
  responses: {
    200: { description: "Claimed", ...jsonContent(ClaimSchema) },
    ...errorResponses(400, 401, 403, 404, 409, 415),
  },
});

const complete = createRoute({
  method: "post",
  path: "/v1/workitems/complete",
  tags,
  summary: "Complete or fail a claimed work item; the claim's fencing token must still hold",
  security: bearerSecurity,
  middleware: [requireScope("workitems:claim")] as const,
  request: { body: { required: true, ...jsonContent(CompleteBodySchema) } },
  responses: {
    200: { description: "Recorded", ...jsonContent(WorkItemSchema) },
    ...errorResponses(400, 401, 403, 404, 409, 415),
  },
});

const get = createRoute({
  method: "get",
  path: "/v1/workitems/{work_item_id}",
  tags,
  summary: "Read one work item",
  security: bearerSecurity,
  middleware: [requireScope("workitems:read")] as const,
  request: { params: WorkItemIdParamSchema },
  responses: {
    200: { description: "The work item", ...jsonContent(WorkItemSchema) },
    ...errorResponses(400, 401, 403, 404),
  },
});

export const workItemRoutes = createRouter()
  .openapi(create, async (c) => {
    const body = c.req.valid("json");
    const items = "items" in body ? body.items : [body];
    const ids = await botzRegistry(c.env).createWorkItems(items);
    return c.json("items" in body ? { work_item_ids: ids } : { work_item_id: ids[0], work_item_ids: ids }, 201);
  })
  .openapi(list, async (c) => {
    const items = await botzRegistry(c.env).listWorkItems(c.req.valid("json"));
    return c.json({ work_items: items, count: items.length }, 200);
  })
  .openapi(claim, async (c) => {
    const result = await botzRegistry(c.env).claim(c.req.valid("json"), formatTraceparent(c.get("trace")));
    increment(botzClaims, { outcome: result.ok ? "claimed" : result.code });
    const { claim: granted } = unwrap(result);
    return c.json(granted, 200);
  })
  .openapi(complete, async (c) => {
    const { work_item } = unwrap(
      await botzRegistry(c.env).complete(c.req.valid("json"), formatTraceparent(c.get("trace"))),
    );
    return c.json(work_item, 200);
  })
  .openapi(get, async (c) => {
    const { work_item } = unwrap(await botzRegistry(c.env).getWorkItem(c.req.valid("param").work_item_id));
    return c.json(work_item, 200);
  });
