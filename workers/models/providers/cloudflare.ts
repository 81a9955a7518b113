/**
 * The `cloudflare` provider (Workers AI): the `env.AI` binding when bound, else the REST API's
 * OpenAI-compatible `/accounts/{id}/ai/v1` surface with an API token (the openai provider's core), else
 * unavailable — every call fails at once, with no network, so routing skips to the next tier.
 * `env.AI` is deliberately not bound in wrangler.toml: it always calls Cloudflare, even locally, and bills.
 */
import type { Env } from "../../platform/env";
import type { Provider, ProviderSettings } from "../types";
import { createAiBindingProvider } from "./cloudflare-binding";
import { createOpenAICompatible } from "./openai";
import { unavailableProvider } from "./unavailable";

export function cloudflareRestUrl(accountId: string): string {
  return `https://api.cloudflare.com/client/v4/accounts/${encodeURIComponent(accountId)}/ai/v1`;
}

export function createCloudflareProvider(settings: ProviderSettings, env: Pick<Env, "AI">): Provider {
  if (env.AI !== undefined) return createAiBindingProvider(settings.name, env.AI);
  const baseUrl = settings.url ?? (settings.accountId ? cloudflareRestUrl(settings.accountId) : undefined);
  if (baseUrl !== undefined && settings.apiKey) {
    return createOpenAICompatible({ name: settings.name, type: "cloudflare", baseUrl, apiKey: settings.apiKey });
  }
  return unavailableProvider(settings, "neither the AI binding nor an account id and API token are configured");
}
