/**
 * A provider that is configured out (no credentials, no binding, transport not built yet): every call fails
 * with "unavailable" before touching the network, so the router skips it to the next tier at no cost.
 */
import type { ChatRequest, EmbedRequest, Provider, ProviderSettings, StreamChunk } from "../types";
import { ProviderError } from "../types";

/** A provider that is configured out: it answers every call with "unavailable" before touching the network. */
export function unavailableProvider(settings: Pick<ProviderSettings, "name" | "type">, why: string): Provider {
  const error = () => new ProviderError("unavailable", `${settings.name}: ${why}`);
  return {
    name: settings.name,
    type: settings.type,
    chat: (_req: ChatRequest) => Promise.reject(error()),
    embed: (_req: EmbedRequest) => Promise.reject(error()),
    chatStream: (_req: ChatRequest): AsyncIterable<StreamChunk> => ({
      [Symbol.asyncIterator]: () => ({ next: () => Promise.reject(error()) }),
    }),
  };
}
