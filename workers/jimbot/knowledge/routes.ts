/**
 * `/graphql` (seed 002 "Knowledge Graph Interface"): POST runs queries and the updateKnowledge mutation, GET
 * runs queries only (GraphQL over HTTP). Reading needs `knowledge:read`; a mutation also `knowledge:write`.
 * GraphQL-level failures keep GraphQL's `errors` form with the HTTP status GraphQL over HTTP gives them.
 */
import { createRoute, z } from "@hono/zod-openapi";
import type { Context } from "hono";
import type { AppEnv } from "../../platform/app-env";
import { requireScope } from "../../platform/auth/middleware";
import { grants } from "../../platform/auth/scopes";
import { bearerSecurity, errorResponses, jsonContent } from "../../platform/openapi";
import { formatTraceparent } from "../../platform/trace";
import { createRouter } from "../../platform/validation";
import { knowledgeConfig } from "./config";
import { runGraphql, type GraphqlOutcome } from "./execute";
import { GraphqlBodySchema, GraphqlResponseSchema, KnowledgeUpdateSchema, type GraphqlBody } from "./schemas";
import { updateKnowledge } from "./service";

const tags = ["knowledge"];

const graphqlResponses = {
  200: {
    description: "Executed (field errors, if any, in `errors` beside `data`)",
    ...jsonContent(GraphqlResponseSchema),
  },
  400: {
    description: "Syntax, validation, depth or cost limit errors (GraphQL's `errors` form), or a bad request body",
    ...jsonContent(GraphqlResponseSchema),
  },
  429: {
    description: "max_concurrent_queries operations already running; see Retry-After",
    ...jsonContent(GraphqlResponseSchema),
  },
  504: {
    description: "Stopped past its time budget (query_timeout 50 ms, mutation_timeout 200 ms)",
    ...jsonContent(GraphqlResponseSchema),
  },
  403: {
    description: "Missing scope (`knowledge:read`; a mutation also needs `knowledge:write`)",
    ...jsonContent(GraphqlResponseSchema.or(z.object({ error: z.unknown() }))),
  },
  ...errorResponses(401, 415),
};

const post = createRoute({
  method: "post",
  path: "/graphql",
  tags,
  summary: "Query or update the knowledge graph (GraphQL)",
  description:
    "The seed's `query JokerSynergies($jokerName: String!) { joker(name: $jokerName) { synergies { target { name } strength conditions } } }` " +
    "runs as written. Depth limit 8, cost limit 20000 (a list field multiplies what is under it by its `first`, default 50).",
  security: bearerSecurity,
  middleware: [requireScope("knowledge:read")] as const,
  request: { body: { required: true, ...jsonContent(GraphqlBodySchema) } },
  responses: graphqlResponses,
});

const VariablesParam = z
  .string()
  .max(20_000)
  .transform((text, ctx) => {
    try {
      const value: unknown = JSON.parse(text);
      if (typeof value === "object" && value !== null && !Array.isArray(value)) return value as Record<string, unknown>;
    } catch {
      // reported below
    }
    ctx.addIssue({ code: "custom", message: "must be a JSON object" });
    return z.NEVER;
  });

const get = createRoute({
  method: "get",
  path: "/graphql",
  tags,
  summary: "Query the knowledge graph (GraphQL over GET; queries only)",
  security: bearerSecurity,
  middleware: [requireScope("knowledge:read")] as const,
  request: {
    query: z.object({
      query: z.string().min(1).max(20_000),
      operationName: z.string().max(200).optional(),
      variables: VariablesParam.optional().openapi({ type: "string", description: "JSON object" }),
    }),
  },
  responses: {
    ...graphqlResponses,
    405: { description: "A mutation sent with GET", ...jsonContent(GraphqlResponseSchema) },
  },
});

async function answer(c: Context<AppEnv>, body: GraphqlBody, allowMutation: boolean): Promise<GraphqlOutcome> {
  const principal = c.get("principal");
  const log = c.get("logger");
  return runGraphql(body, {
    env: c.env,
    config: knowledgeConfig(c.env),
    allowMutation,
    canMutate: grants(principal.scopes, "knowledge:write"),
    applyUpdate: async (update) =>
      updateKnowledge(c.env, KnowledgeUpdateSchema.parse(update), {
        defer: (p) => c.executionCtx.waitUntil(p),
        log,
        traceparent: formatTraceparent(c.get("trace")),
      }),
  });
}

export const knowledgeRoutes = createRouter()
  .openapi(post, async (c) => {
    const outcome = await answer(c, c.req.valid("json"), true);
    return c.json(outcome.body, outcome.status as 200, outcome.headers);
  })
  .openapi(get, async (c) => {
    const q = c.req.valid("query");
    const outcome = await answer(c, { query: q.query, operationName: q.operationName, variables: q.variables }, false);
    return c.json(outcome.body, outcome.status as 200, outcome.headers);
  });
