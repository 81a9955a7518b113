/**
 * The Discord vars, with the project's config policy: blank means the default, an unusable API base URL falls
 * back to Discord's and is reported as a `ConfigProblem`, and a public key that is not 64 hex digits is
 * reported too and treated as unset (every interaction is then refused with 401).
 */
import type { ConfigProblem } from "../../platform/var-parsers";
import { DEFAULT_DISCORD_API_BASE_URL } from "./followup-client";

export interface DiscordVars {
  DISCORD_APPLICATION_ID?: string | undefined;
  DISCORD_PUBLIC_KEY?: string | undefined;
  DISCORD_API_BASE_URL?: string | undefined;
}

export interface DiscordSettings {
  applicationId: string | null;
  publicKeyHex: string | null;
  apiBaseUrl: string;
  problems: ConfigProblem[];
}

export function readDiscordSettings(vars: DiscordVars): DiscordSettings {
  const problems: ConfigProblem[] = [];
  const key = vars.DISCORD_PUBLIC_KEY?.trim() ?? "";
  let publicKeyHex: string | null = null;
  if (/^[0-9a-fA-F]{64}$/.test(key)) publicKeyHex = key;
  else if (key !== "")
    problems.push({ name: "DISCORD_PUBLIC_KEY", value: key, message: "is not 64 hex digits", fallback: "(unset)" });
  let apiBaseUrl = DEFAULT_DISCORD_API_BASE_URL;
  const raw = vars.DISCORD_API_BASE_URL?.trim() ?? "";
  if (raw !== "") {
    let usable = false;
    try {
      const url = new URL(raw);
      usable = (url.protocol === "https:" || url.protocol === "http:") && url.search === "" && url.hash === "";
    } catch {}
    if (usable) apiBaseUrl = raw;
    else
      problems.push({
        name: "DISCORD_API_BASE_URL",
        value: raw,
        message: `"${raw}" is not an http(s) URL without query or fragment`,
        fallback: DEFAULT_DISCORD_API_BASE_URL,
      });
  }
  const applicationId = vars.DISCORD_APPLICATION_ID?.trim() ?? "";
  return { applicationId: applicationId === "" ? null : applicationId, publicKeyHex, apiBaseUrl, problems };
}
