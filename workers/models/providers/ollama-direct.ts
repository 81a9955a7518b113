/**
 * Ollama reached over HTTP at a URL (`[providers.ollama] url`): POST the native body, read the NDJSON
 * answer. Failures are classified by the shared rules, with one Ollama-specific choice: 404 means the model
 * is not pulled on that host, which makes this tier unavailable (fall through, no breaker penalty for a
 * failing server) rather than a bad request.
 */
import { ProviderError } from "../types";
import { errorFromFailure, errorFromResponse } from "./http-errors";
import { fetchFailure, originFailure } from "./network-failure";
import { ndjson, NdjsonError } from "./ndjson";
import type { OllamaTransport } from "./ollama-transport";

export const DEFAULT_OLLAMA_URL = "http://127.0.0.1:11434";

/** `http://host:11434`, `…/` and `…/api` all name the same server. */
function baseOf(url: string): string {
  return url.replace(/\/+$/, "").replace(/\/api$/, "");
}

async function httpError(provider: string, res: Response): Promise<ProviderError> {
  const error = await errorFromResponse(provider, res);
  return res.status === 404 ? new ProviderError("unavailable", error.message, 404) : error;
}

export function directTransport(provider: string, url: string): OllamaTransport {
  const base = baseOf(url);
  return {
    async *post(path, body, signal) {
      const url = `${base}${path}`;
      let res: Response;
      try {
        res = await fetch(url, {
          method: "POST",
          headers: { "content-type": "application/json" },
          body: JSON.stringify(body),
          signal,
        });
      } catch (err) {
        throw await fetchFailure(provider, url, err, signal);
      }
      if (!res.ok) throw originFailure(provider, url, await httpError(provider, res));
      if (!res.body) throw new ProviderError("stream", `${provider}: empty answer`);
      try {
        yield* ndjson(res.body as ReadableStream<Uint8Array>);
      } catch (err) {
        if (err instanceof NdjsonError) throw new ProviderError("stream", `${provider}: ${err.message}`);
        throw errorFromFailure(provider, err, signal);
      }
    },
  };
}
