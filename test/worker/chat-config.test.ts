/**
 * The chat gateway's vars: documented defaults when absent, and a set-but-invalid var falling back to its
 * default while /health's `chat_config` check names it.
 */
import { describe, it } from "vitest";
import { chatConfig, chatConfigHealthCheck } from "../../workers/chat/config";
import { call, json } from "./helpers";

describe("chat config", () => {
  it("should take the documented defaults when the vars are absent", ({ expect }) => {
    expect(chatConfig({})).toEqual({
      sessionTtlMs: 24 * 3600_000,
      contextTokenBudget: 4000,
      functionName: "chat",
      toolMaxDepth: 4,
      problems: [],
    });
  });

  it("should read set vars and fall back, naming the problem, on bad ones", async ({ expect }) => {
    const vars = { CHAT_SESSION_TTL: "2h", CHAT_CONTEXT_TOKEN_BUDGET: "lots", CHAT_TOOL_MAX_DEPTH: "99" };
    const config = chatConfig(vars);
    expect(config.sessionTtlMs).toBe(2 * 3600_000);
    expect(config.contextTokenBudget).toBe(4000);
    expect(config.toolMaxDepth).toBe(4);
    expect(config.problems.map((p) => p.name)).toEqual(["CHAT_CONTEXT_TOKEN_BUDGET", "CHAT_TOOL_MAX_DEPTH"]);
    await expect(chatConfigHealthCheck(vars)).rejects.toThrow(
      'CHAT_CONTEXT_TOKEN_BUDGET="lots": "lots" is not a positive integer (using 4000)',
    );
  });

  it("should report the chat_config check as ok on /health with wrangler.toml's vars", async ({ expect }) => {
    const body = await json<{ checks: Record<string, { status: string }> }>(await call("/health"));
    expect(body.checks.chat_config?.status).toBe("ok");
  });
});
