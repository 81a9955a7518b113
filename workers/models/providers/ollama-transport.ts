/**
 * What the ollama provider needs from a transport: POST a native body to `/api/chat` or `/api/embed` and
 * yield the answer's objects as they arrive. A direct URL and an edge device's hub both implement it.
 */
import type { OllamaChatBody, OllamaEmbedBody } from "./ollama-wire";

export type OllamaPath = "/api/chat" | "/api/embed";

export interface OllamaTransport {
  /** Yields each answer object; throws a classified ProviderError (also when `signal` aborts). */
  post(
    path: OllamaPath,
    body: OllamaChatBody | OllamaEmbedBody,
    signal: AbortSignal,
  ): AsyncGenerator<unknown, void, undefined>;
  /** An edge device always streams, so a non-streaming chat is collected from a stream there. */
  readonly alwaysStreams?: boolean;
}
