/**
 * Builds a `Provider` from resolved settings by `type`: the router's one entry into the provider files.
 * Providers are cheap closures over their settings (no I/O at construction), so a fresh one per config load
 * is fine.
 */
import type { Env } from "../../platform/env";
import type { Provider, ProviderSettings } from "../types";
import { createAnthropicProvider } from "./anthropic";
import { createCloudflareProvider } from "./cloudflare";
import { createGoogleProvider } from "./google";
import { createOllamaProvider } from "./ollama";
import { createOpenAIProvider } from "./openai";

export function createProvider(settings: ProviderSettings, env: Env): Provider {
  switch (settings.type) {
    case "openai":
      return createOpenAIProvider(settings);
    case "anthropic":
      return createAnthropicProvider(settings);
    case "google":
      return createGoogleProvider(settings);
    case "cloudflare":
      return createCloudflareProvider(settings, env);
    case "ollama":
      return createOllamaProvider(settings, env);
  }
}
