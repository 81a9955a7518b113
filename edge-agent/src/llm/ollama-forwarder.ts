/**
 * The agent's side of the local Ollama tier: forwards a hub job's Ollama-native request to the local Ollama
 * (`llm.chat` → POST /api/chat, always streamed; `llm.embed` → POST /api/embed) and hands back each NDJSON
 * object of the answer, in order, through a callback. Ollama reports failures three ways and each becomes a
 * device error: a non-2xx status with `{"error"}` (status kept: 404 means "model not pulled"), an HTTP 200 whose
 * body is, or whose stream ends with, an `{"error"}` line, and a dropped connection. Aborting the signal (the
 * hub's `cancel`) aborts the upstream request, which closes the connection so Ollama stops generating.
 * Also reads the pulled (`/api/tags`) and loaded (`/api/ps`) models for telemetry and `llm.models`.
 */
import { z } from "zod";
import { splitEmbedAnswer } from "./split-embed-answer.js";

export type ForwardJobKind = "llm.chat" | "llm.embed";

export interface ForwardJob {
  kind: ForwardJobKind;
  /** The Ollama-native body from the hub's job frame. */
  request: Record<string, unknown>;
}

/** How a forwarded job ended: `done`, or the device error to report (`status` when Ollama answered with one). */
export type ForwardResult =
  { ok: true; chunks: number } | { ok: false; cancelled: boolean; message: string; status?: number; chunks: number };

export interface ForwardOptions {
  /**
   * An embed answer larger than this is split into several chunks (see split-embed-answer.ts); default
   * 512 KiB, half the hub's WebSocket message limit, leaving room for the frame around it.
   */
  maxEmbedChunkBytes?: number;
}

export type ChunkCallback = (index: number, data: Record<string, unknown>) => void | Promise<void>;

/** The protocol caps a device error message at this many characters. */
const MAX_MESSAGE = 2000;

function clip(message: string): string {
  return message.length > MAX_MESSAGE ? `${message.slice(0, MAX_MESSAGE - 1)}…` : message;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** Ollama's error text from a body (`{"error":"…"}`), or the body itself when it is not that shape. */
function errorText(body: string): string {
  try {
    const parsed: unknown = JSON.parse(body);
    if (isRecord(parsed) && typeof parsed.error === "string") return parsed.error;
  } catch {
    // Not JSON (a proxy's HTML page, Go's "404 page not found"): report the text as is.
  }
  return body.trim() || "empty response";
}

function endpoint(base: string, path: string): string {
  return new URL(path, base.endsWith("/") ? base : `${base}/`).toString();
}

/**
 * Forwards `job` to the Ollama at `ollamaUrl`, calling `onChunk` for each NDJSON object (awaited, so a slow
 * hub connection slows the read instead of buffering without bound). Resolves; never rejects for upstream
 * failures. `onChunk` throwing aborts the request and rejects.
 */
export async function forwardJob(
  ollamaUrl: string,
  job: ForwardJob,
  signal: AbortSignal,
  onChunk: ChunkCallback,
  options: ForwardOptions = {},
): Promise<ForwardResult> {
  const maxEmbedChunkBytes = options.maxEmbedChunkBytes ?? 512 * 1024;
  const path = job.kind === "llm.chat" ? "api/chat" : "api/embed";
  // The agent always streams chat: a buffered answer sends no headers until it is done, and Node's fetch gives
  // up on headers after 5 minutes.
  const body = job.kind === "llm.chat" ? { ...job.request, stream: true } : job.request;
  const local = new AbortController();
  const onAbort = () => local.abort(signal.reason);
  if (signal.aborted) onAbort();
  else signal.addEventListener("abort", onAbort, { once: true });
  let chunks = 0;
  const failed = (message: string, status?: number): ForwardResult => ({
    ok: false,
    cancelled: signal.aborted,
    message: signal.aborted ? "cancelled" : clip(message),
    chunks,
    ...(status === undefined || signal.aborted ? {} : { status }),
  });
  try {
    let response: Response;
    try {
      response = await fetch(endpoint(ollamaUrl, path), {
        method: "POST",
        headers: { "content-type": "application/json", accept: "application/x-ndjson, application/json" },
        body: JSON.stringify(body),
        signal: local.signal,
      });
    } catch (err) {
      return failed(`Ollama unreachable: ${describe(err)}`);
    }
    if (!response.ok) {
      const text = await response.text().catch(() => "");
      return failed(errorText(text), response.status);
    }
    if (!response.body) return failed("Ollama sent no body");
    // Node types the fetch body loosely; its chunks are bytes.
    const reader = (response.body as ReadableStream<Uint8Array>).getReader();
    const decoder = new TextDecoder("utf-8", { fatal: false });
    let buffered = "";
    let finished = false;
    // Returns an error message for a line that ends the job, or undefined to go on.
    const take = async (line: string): Promise<string | undefined> => {
      if (line.trim() === "") return undefined;
      let parsed: unknown;
      try {
        parsed = JSON.parse(line);
      } catch {
        return `Ollama sent a line that is not JSON: ${line.slice(0, 200)}`;
      }
      if (!isRecord(parsed)) return `Ollama sent a line that is not a JSON object: ${line.slice(0, 200)}`;
      // Mid-stream failures keep the 200 status already sent; only the line says so.
      if (typeof parsed.error === "string") return parsed.error;
      finished = parsed.done === true;
      const pieces = job.kind === "llm.embed" ? splitEmbedAnswer(parsed, maxEmbedChunkBytes) : [parsed];
      for (const piece of pieces) {
        try {
          await onChunk(chunks, piece);
        } catch (err) {
          throw new ChunkCallbackError(err);
        }
        chunks += 1;
      }
      return undefined;
    };
    try {
      for (;;) {
        const { done, value } = await reader.read();
        buffered += done ? decoder.decode() : decoder.decode(value, { stream: true });
        const lines = buffered.split("\n");
        // The last piece is an incomplete line until the next read (or the end) completes it.
        buffered = done ? "" : (lines.pop() ?? "");
        for (const line of lines) {
          // Cancelled mid-batch: the rest of this read must not reach the hub either.
          const problem = signal.aborted ? "cancelled" : await take(line);
          if (problem !== undefined) {
            await reader.cancel().catch(() => undefined);
            return failed(problem);
          }
        }
        if (done) break;
      }
    } catch (err) {
      if (err instanceof ChunkCallbackError) throw err;
      if (signal.aborted) return failed("cancelled");
      return failed(`Ollama stream broke: ${describe(err)}`);
    }
    if (chunks === 0) return failed("Ollama answered with an empty body");
    // A chat stream ends with a `done: true` object carrying the counts; without it the answer was cut off.
    if (job.kind === "llm.chat" && !finished) return failed("Ollama's chat stream ended before its final object");
    return { ok: true, chunks };
  } catch (err) {
    if (!(err instanceof ChunkCallbackError)) throw err;
    // onChunk failed: stop the upstream too, then let the caller see its own error.
    local.abort(err.cause);
    throw err.cause;
  } finally {
    signal.removeEventListener("abort", onAbort);
  }
}

/** Carries an error thrown by the caller's `onChunk` past the stream's own error handling. */
class ChunkCallbackError extends Error {
  constructor(override readonly cause: unknown) {
    super("onChunk failed");
  }
}

function describe(err: unknown): string {
  if (err instanceof Error) {
    const cause = err.cause instanceof Error ? `: ${err.cause.message}` : "";
    return `${err.message}${cause}`;
  }
  return String(err);
}

const modelSchema = z.looseObject({
  name: z.string(),
  model: z.string().optional(),
  size: z.number().optional(),
  digest: z.string().optional(),
});

const tagsSchema = z.object({
  models: z.array(modelSchema.extend({ modified_at: z.string().optional(), details: z.unknown().optional() })),
});

const psSchema = z.object({
  models: z.array(modelSchema.extend({ expires_at: z.string().optional(), size_vram: z.number().optional() })),
});

export type PulledModel = z.infer<typeof tagsSchema>["models"][number];
export type LoadedModel = z.infer<typeof psSchema>["models"][number];

/** Ollama answered a model-list request with an error status, or with a body of the wrong shape. */
export class OllamaRequestError extends Error {
  constructor(
    message: string,
    readonly status?: number,
  ) {
    super(message);
    this.name = "OllamaRequestError";
  }
}

async function getJson<T>(ollamaUrl: string, path: string, schema: z.ZodType<T>, signal?: AbortSignal): Promise<T> {
  const response = await fetch(endpoint(ollamaUrl, path), { headers: { accept: "application/json" }, signal });
  const text = await response.text();
  if (!response.ok) throw new OllamaRequestError(`${path}: ${errorText(text)}`, response.status);
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw new OllamaRequestError(`${path}: answer is not JSON`, response.status);
  }
  const parsed = schema.safeParse(json);
  if (!parsed.success) throw new OllamaRequestError(`${path}: unexpected answer: ${parsed.error.message}`);
  return parsed.data;
}

/** The models pulled on this Ollama (`GET /api/tags`). */
export async function listModels(ollamaUrl: string, signal?: AbortSignal): Promise<PulledModel[]> {
  return (await getJson(ollamaUrl, "api/tags", tagsSchema, signal)).models;
}

/** The models loaded in memory right now (`GET /api/ps`). */
export async function loadedModels(ollamaUrl: string, signal?: AbortSignal): Promise<LoadedModel[]> {
  return (await getJson(ollamaUrl, "api/ps", psSchema, signal)).models;
}
