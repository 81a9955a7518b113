/**
 * The `ollama` provider: Ollama's native `/api/chat` and `/api/embed`, over one of two transports — a URL
 * (`settings.url`) fetched directly, or an edge device (`settings.edgeDevice`, or a url `edge:<device-id>`)
 * whose EdgeHub hands the job to the Pi's edge-agent. Both carry the same native objects; failures come out
 * classified (offline device or model not pulled → "unavailable", budget exceeded → "timeout", an
 * `{"error"}` line under status 200 → "stream").
 */
import { deviceIdSchema } from "../../../durable-objects/protocol";
import type { Env } from "../../platform/env";
import { type Provider, ProviderError, type ProviderSettings } from "../types";
import { DEFAULT_OLLAMA_URL, directTransport } from "./ollama-direct";
import { edgeTransport } from "./ollama-edge";
import { chatChunks, collectChat, collectEmbed } from "./ollama-stream";
import type { OllamaTransport } from "./ollama-transport";
import { chatBody, embedBody } from "./ollama-wire";

/** An edge job's budget when the caller sets none; the router's own timeout normally aborts well before. */
export const DEFAULT_EDGE_DEADLINE_MS = 60_000;
const EDGE_PREFIX = "edge:";

export interface OllamaOptions {
  /** Time budget of each edge job: past it the hub cancels the job on the device and the call fails "timeout". */
  edgeDeadlineMs?: number | undefined;
}

function unusable(message: string): OllamaTransport {
  return {
    // eslint-disable-next-line require-yield -- fails on the first next(), as a broken stream would
    async *post() {
      throw new ProviderError("unavailable", message);
    },
  };
}

function transportFor(settings: ProviderSettings, env: Env, options: OllamaOptions): OllamaTransport {
  const url = settings.url?.trim();
  const device = settings.edgeDevice ?? (url?.startsWith(EDGE_PREFIX) ? url : undefined);
  if (device === undefined) return directTransport(settings.name, url || DEFAULT_OLLAMA_URL);
  const id = deviceIdSchema.safeParse(device.startsWith(EDGE_PREFIX) ? device.slice(EDGE_PREFIX.length) : device);
  if (!id.success) return unusable(`${settings.name}: '${device}' is not a valid edge device id`);
  return edgeTransport(settings.name, env, id.data, options.edgeDeadlineMs ?? DEFAULT_EDGE_DEADLINE_MS);
}

export function createOllamaProvider(settings: ProviderSettings, env: Env, options: OllamaOptions = {}): Provider {
  const name = settings.name;
  const transport = transportFor(settings, env, options);
  return {
    name,
    type: "ollama",
    chat(req) {
      return collectChat(
        chatChunks(transport.post("/api/chat", chatBody(req, transport.alwaysStreams === true), req.signal), name),
      );
    },
    chatStream(req) {
      return chatChunks(transport.post("/api/chat", chatBody(req, true), req.signal), name);
    },
    embed(req) {
      return collectEmbed(transport.post("/api/embed", embedBody(req), req.signal), name, req.input.length);
    },
  };
}
