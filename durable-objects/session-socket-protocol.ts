/**
 * The `/ws` frames (seed 003 WebSocket events `connect`, `message`, `response`, `heartbeat`, `disconnect`),
 * JSON text frames with a `type`. Client frames are parsed here; server frames are typed by the schemas below
 * (tests parse every frame they receive with them), so both directions are checked.
 */
import { z } from "zod";
import { SESSION_SURFACES } from "./session-contract";

/** Answered by the runtime itself (setWebSocketAutoResponse), so a pinging client never wakes the object. */
export const HEARTBEAT = '{"type":"heartbeat"}';
export const HEARTBEAT_ACK = '{"type":"heartbeat","ack":true}';
/** Sent by the server on `disconnect` and when it ends a socket for a reason of its own. */
export const CLOSE_NORMAL = 1000;
export const CLOSE_TOKEN_EXPIRED = 4401;
export const CLOSE_SESSION_GONE = 4404;

export const ClientFrameSchema = z.discriminatedUnion("type", [
  z.object({
    type: z.literal("message"),
    text: z.string().min(1).max(32_000),
    /** Echoed in the reply's `start` frame, so the sender can match its message to the reply. */
    client_id: z.string().min(1).max(128).optional(),
  }),
  z.object({ type: z.literal("heartbeat"), at: z.number().optional() }),
  z.object({ type: z.literal("resume"), reply_id: z.string().uuid(), after_seq: z.number().int().min(-1) }),
  z.object({ type: z.literal("disconnect"), reason: z.string().max(200).optional() }),
]);
export type ClientFrame = z.infer<typeof ClientFrameSchema>;

const usage = z.object({ input_tokens: z.number().int(), output_tokens: z.number().int() });
const responseHead = { type: z.literal("response"), reply_id: z.string().uuid(), seq: z.number().int().min(0) };
const errorShape = z.object({ code: z.string(), message: z.string(), details: z.unknown().optional() });

export const ConnectFrameSchema = z.object({
  type: z.literal("connect"),
  session_id: z.string(),
  created: z.boolean(),
  connection_id: z.string(),
  founder_id: z.string(),
  workspace_id: z.string(),
  trust_mode: z.number().int(),
  surface: z.enum(SESSION_SURFACES),
  protocol: z.string().nullable(),
  /** The reply in flight or the last one finished, so a client knows what it may resume. */
  last_reply: z.object({ reply_id: z.string(), status: z.string(), last_seq: z.number().int() }).nullable(),
});

export const ResponseFrameSchema = z.discriminatedUnion("event", [
  z.object({ ...responseHead, event: z.literal("start"), message: z.string(), client_id: z.string().nullable() }),
  z.object({ ...responseHead, event: z.literal("token"), text: z.string() }),
  z.object({
    ...responseHead,
    event: z.literal("done"),
    session_id: z.string(),
    reply: z.string(),
    trust_mode: z.number().int(),
    surface: z.string(),
    usage,
    cost_usd: z.number().nullable(),
    model: z.object({ variant: z.string(), provider: z.string(), model: z.string() }).nullable(),
    tool_calls: z.array(z.object({ name: z.string(), status: z.enum(["ok", "not_allowed", "error"]) })),
    context: z.object({ turns: z.number().int(), folded: z.number().int(), summarized: z.boolean() }),
  }),
  z.object({ ...responseHead, event: z.literal("error"), error: errorShape }),
]);

export const ServerFrameSchema = z.union([
  ConnectFrameSchema,
  ResponseFrameSchema,
  z.object({ type: z.literal("heartbeat"), ack: z.literal(true) }),
  z.object({ type: z.literal("disconnect"), reason: z.string() }),
  z.object({ type: z.literal("error"), error: errorShape }),
]);

export type ConnectFrame = z.infer<typeof ConnectFrameSchema>;
export type ResponseFrame = z.infer<typeof ResponseFrameSchema>;
export type ServerFrame = z.infer<typeof ServerFrameSchema>;

/** A response frame without its head: what the reply runner emits and the log numbers. */
export type ResponseBody = ResponseFrame extends infer F
  ? F extends ResponseFrame
    ? Omit<F, "type" | "reply_id" | "seq">
    : never
  : never;

export function errorFrame(code: string, message: string, details?: unknown): string {
  const error = details === undefined ? { code, message } : { code, message, details };
  return JSON.stringify({ type: "error", error } satisfies ServerFrame);
}

export function disconnectFrame(reason: string): string {
  return JSON.stringify({ type: "disconnect", reason } satisfies ServerFrame);
}

/** A client frame, or the `error` frame to answer it with (the socket stays open either way). */
export function readClientFrame(message: string | ArrayBuffer): { frame: ClientFrame } | { error: string } {
  if (typeof message !== "string") return { error: errorFrame("invalid_frame", "frames are JSON text, not binary") };
  let raw: unknown;
  try {
    raw = JSON.parse(message);
  } catch {
    return { error: errorFrame("invalid_frame", "the frame is not JSON") };
  }
  const parsed = ClientFrameSchema.safeParse(raw);
  if (parsed.success) return { frame: parsed.data };
  const issues = parsed.error.issues.map((i) => ({ field: i.path.map(String).join("."), message: i.message }));
  const first = issues[0];
  return {
    error: errorFrame("invalid_frame", `${first?.field || "type"}: ${first?.message ?? "invalid"}`, { issues }),
  };
}
