/**
 * StreamDecisions over a WebSocket: each frame is one decision, answered in the frame's own form (text JSON
 * or binary protobuf) as soon as it is decided — answers may overtake one another, `request_id` pairs them.
 * The socket lives in the Worker (no Durable Object): it holds no state beyond the connection.
 */
import { AppError } from "../../platform/errors";
import type { Env } from "../../platform/env";
import type { Deferrer } from "../../platform/model-port";
import { decide } from "./decide";
import { decodeDecisionRequest, encodeDecisionResponse } from "./protobuf";
import { LearningDecisionRequestSchema } from "./schemas";

const MAX_FRAME_BYTES = 256 * 1024;

function requestIdOf(value: unknown): string {
  return value !== null && typeof value === "object" && "request_id" in value && typeof value.request_id === "string"
    ? value.request_id
    : "";
}

async function answerFrame(env: Env, ctx: Deferrer, modelId: string, data: string | Uint8Array) {
  const binary = typeof data !== "string";
  let raw: unknown = null;
  try {
    const size = binary ? data.byteLength : data.length;
    if (size > MAX_FRAME_BYTES) throw new AppError(413, "payload_too_large", `frame: at most ${MAX_FRAME_BYTES} bytes`);
    if (binary) raw = decodeDecisionRequest(data);
    else {
      try {
        raw = JSON.parse(data);
      } catch {
        throw new AppError(400, "invalid_json", "frame: not JSON");
      }
    }
    const parsed = LearningDecisionRequestSchema.safeParse(raw);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      throw new AppError(400, "invalid_input", `${issue?.path.join(".") ?? ""}: ${issue?.message ?? "invalid"}`);
    }
    const answer = await decide(env, ctx, modelId, parsed.data);
    return binary ? encodeDecisionResponse(answer) : JSON.stringify(answer);
  } catch (err) {
    const e = err instanceof AppError ? err : new AppError(500, "internal_error", "decision failed");
    return JSON.stringify({ request_id: requestIdOf(raw), error: { code: e.code, message: e.message } });
  }
}

/** A frame as text or bytes: binary frames arrive as an ArrayBuffer, or as a Blob (workerd, in-process pairs). */
async function binaryOf(data: unknown): Promise<string | Uint8Array> {
  if (typeof data === "string") return data;
  if (data instanceof Blob) return new Uint8Array(await data.arrayBuffer());
  return new Uint8Array(data as ArrayBuffer);
}

export function decisionSocket(env: Env, ctx: Deferrer, modelId: string): Response {
  const pair = new WebSocketPair();
  const [client, server] = [pair[0], pair[1]];
  server.accept();
  server.addEventListener("message", (event) => {
    const data: unknown = event.data;
    ctx.waitUntil(
      binaryOf(data)
        .then((frame) => answerFrame(env, ctx, modelId, frame))
        .then((reply) => {
          try {
            server.send(reply);
          } catch {
            // The client went away while its decision was made: nobody is left to tell.
          }
        }),
    );
  });
  server.addEventListener("close", (event) => server.close(event.code === 1005 ? 1000 : event.code, "bye"));
  return new Response(null, { status: 101, webSocket: client });
}
