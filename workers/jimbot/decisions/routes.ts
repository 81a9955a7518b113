/**
 * The decision service over HTTP (seed 002's RayRLlib): `POST /api/v1/decisions` is GetDecision — a
 * LearningDecisionRequest as JSON or binary protobuf (by Content-Type, as the bus does), answered in the same
 * form — and `GET /api/v1/decisions/stream` is StreamDecisions as a WebSocket: each text frame a JSON request
 * answered by a JSON response, each binary frame a protobuf request answered by a protobuf response. A
 * fallback answer says so: `fallback` in JSON, the `x-decision-fallback` header (HTTP protobuf).
 */
import { createRoute, z } from "@hono/zod-openapi";
import { requireScope } from "../../platform/auth/middleware";
import { AppError } from "../../platform/errors";
import { bearerSecurity, ErrorSchema, errorResponses, jsonContent } from "../../platform/openapi";
import { formatTraceparent } from "../../platform/trace";
import { createRouter } from "../../platform/validation";
import { decide } from "./decide";
import { decodeDecisionRequest, encodeDecisionResponse, isProtobuf, PROTOBUF } from "./protobuf";
import { DecisionQuerySchema, LearningDecisionRequestSchema, LearningDecisionResponseSchema } from "./schemas";
import { decisionSocket } from "./stream";

const tags = ["jimbot"];
const MAX_BODY_BYTES = 256 * 1024;

const getDecision = createRoute({
  method: "post",
  path: "/api/v1/decisions",
  tags,
  summary: "GetDecision: an action for a game state from the model's decision backend (SLA 95% < 100 ms)",
  security: bearerSecurity,
  middleware: [requireScope("models:infer")] as const,
  request: {
    query: DecisionQuerySchema,
    body: {
      // Not `required`: the validator would then hold a protobuf body to the JSON schema. A body in neither
      // form is refused (415) by the handler.
      required: false,
      content: {
        "application/json": { schema: LearningDecisionRequestSchema },
        [PROTOBUF]: {
          schema: z.string().openapi({ format: "binary", description: "seed 002 LearningDecisionRequest" }),
        },
      },
    },
  },
  responses: {
    200: {
      description: "The decision (from the backend, or the fallback policy when `fallback` is set)",
      content: {
        "application/json": { schema: LearningDecisionResponseSchema },
        [PROTOBUF]: {
          schema: z.string().openapi({ format: "binary", description: "seed 002 LearningDecisionResponse" }),
        },
      },
    },
    503: {
      description: "MAX_CONCURRENT_DECISIONS in flight (Retry-After), or no action could be chosen",
      ...jsonContent(ErrorSchema),
    },
    ...errorResponses(400, 401, 403, 413, 415),
  },
});

const streamDecisions = createRoute({
  method: "get",
  path: "/api/v1/decisions/stream",
  tags,
  summary: "StreamDecisions: a WebSocket of LearningDecisionRequest → LearningDecisionResponse",
  description:
    "Text frames carry JSON requests and get JSON responses; binary frames carry protobuf and get protobuf. " +
    'A frame that is not a request gets `{"request_id": …, "error": {code, message}}`.',
  security: bearerSecurity,
  middleware: [requireScope("models:infer", { tokenCarriers: ["query"] })] as const,
  request: { query: DecisionQuerySchema },
  responses: {
    101: { description: "Switched to a WebSocket" },
    426: { description: "Not a WebSocket upgrade request", ...jsonContent(ErrorSchema) },
    ...errorResponses(400, 401, 403),
  },
});

async function protobufBody(read: () => Promise<ArrayBuffer>): Promise<Uint8Array> {
  const bytes = new Uint8Array(await read());
  if (bytes.byteLength > MAX_BODY_BYTES)
    throw new AppError(413, "payload_too_large", `body: at most ${MAX_BODY_BYTES} bytes`);
  return bytes;
}

function validRequest(value: unknown) {
  const parsed = LearningDecisionRequestSchema.safeParse(value);
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0];
  throw new AppError(400, "invalid_input", `body.${issue?.path.join(".") ?? ""}: ${issue?.message ?? "invalid"}`, {
    issues: parsed.error.issues.map((i) => ({ field: `body.${i.path.join(".")}`, message: i.message })),
  });
}

export const decisionRoutes = createRouter()
  .openapi(getDecision, async (c) => {
    const { model_id } = c.req.valid("query");
    const contentType = c.req.header("content-type");
    const proto = isProtobuf(contentType);
    if (!proto && !/^application\/json\b/i.test(contentType ?? ""))
      throw new AppError(415, "unsupported_media_type", `content-type must be application/json or ${PROTOBUF}`);
    const body = c.req.valid("json");
    const request = proto
      ? validRequest(decodeDecisionRequest(await protobufBody(() => c.req.arrayBuffer())))
      : typeof body === "string"
        ? validRequest(body)
        : body;
    const answer = await decide(c.env, c.executionCtx, model_id, request, formatTraceparent(c.get("trace")));
    if (!proto) return c.json(answer, 200);
    const headers: Record<string, string> = { "content-type": PROTOBUF, "x-decision-model": answer.model_id };
    if (answer.fallback) headers["x-decision-fallback"] = `${answer.fallback.reason}; policy=${answer.fallback.policy}`;
    return c.body(new Uint8Array(encodeDecisionResponse(answer)), 200, headers);
  })
  .openapi(streamDecisions, (c) => {
    if (c.req.header("upgrade")?.toLowerCase() !== "websocket")
      throw new AppError(426, "upgrade_required", "GET /api/v1/decisions/stream needs `Upgrade: websocket`");
    return decisionSocket(c.env, c.executionCtx, c.req.valid("query").model_id);
  });
