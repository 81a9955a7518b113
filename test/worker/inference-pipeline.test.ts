/**
 * `runInference`, called in-process the way the chat gateway and ChainBot will call it (through
 * `workers/models/index.ts`): the answer's contract — result, usage, cost, the variant that served, every
 * variant's fate, cache status — the exact cache in front of the providers, and the 502 when all fail.
 */
import { createExecutionContext, waitOnExecutionContext } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, it } from "vitest";
import { AppError } from "../../workers/platform/errors";
import { loadGatewayConfig, resolveTarget, runInference, type InferenceInput } from "../../workers/models";
import { uniqueId } from "./helpers";

const FAKE = env.TEST_FAKE_UPSTREAMS_URL;
const TAG = uniqueId("pipeline");
/** An env var nobody sets: the provider reading it is disabled, not an error. */
const MISSING = `NO_SUCH_KEY_${TAG.replaceAll("-", "_").toUpperCase()}`;

const TOML = `
[providers.down]
type = "openai"
url = "${FAKE}/openai/v1"
api_key = "sk-test"

[providers.up]
type = "openai"
url = "${FAKE}/openai/v1"
api_key = "sk-test"

[providers.unset]
type = "anthropic"
api_key = "\${env.${MISSING}}"

[models.priced]
provider = "up"
model = "echo~${TAG}"
prices = { input_per_million = 1000000, output_per_million = 2000000 }

[functions.ask]
type = "chat"

[functions.ask.variants.first]
provider = "down"
model = "fake-500~${TAG}"
weight = 1.0

[functions.ask.variants.second]
model = "models.priced"
weight = 0.5

[functions.ask.variants.third]
provider = "unset"
model = "claude"
weight = 0.1

[functions.broken]
type = "chat"

[functions.broken.variants.only]
provider = "down"
model = "fake-500~broken-${TAG}"
weight = 1.0

[functions.broken.variants.keyless]
provider = "unset"
model = "claude"
weight = 0.5
`;

const gatewayEnv = { ...env, GATEWAY_CONFIG: TOML };

async function input(fn: string, over: Partial<InferenceInput> = {}): Promise<InferenceInput> {
  const config = await loadGatewayConfig(gatewayEnv);
  return {
    config,
    target: resolveTarget(config, { function_name: fn }),
    messages: [{ role: "user", content: [{ type: "text", text: "two words" }] }],
    params: {},
    ...over,
  };
}

describe("runInference (in-process)", () => {
  it("should answer with usage, cost, the serving variant and every variant's fate in plan order", async ({
    expect,
  }) => {
    const ctx = createExecutionContext();
    const answer = await runInference(gatewayEnv, ctx, await input("ask"));
    await waitOnExecutionContext(ctx);
    expect(answer.result.content).toEqual([{ type: "text", text: "echo: two words" }]);
    expect(answer.usage).toEqual({ input_tokens: 2, output_tokens: 3 });
    // 2 input tokens at $1/token + 3 output tokens at $2/token.
    expect(answer.costUsd).toBe(8);
    expect(answer.served).toEqual({ variant: "second", provider: "up", model: `echo~${TAG}`, tier: "cloud" });
    expect(answer.attempts.map(({ variant, provider, status }) => [variant, provider, status])).toEqual([
      ["first", "down", "server"],
      ["second", "up", "ok"],
    ]);
    expect(answer.cache).toBe("off");
    expect(answer.output).toBeUndefined();
    expect(answer.inferenceId).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-7/);
  });

  it("should serve the second identical call from the exact cache without calling a provider", async ({ expect }) => {
    const cache = { read: true, write: true, ttlS: 60 };
    const ctx = createExecutionContext();
    const first = await runInference(gatewayEnv, ctx, await input("ask", { options: { cache } }));
    await waitOnExecutionContext(ctx);
    expect(first.cache).toBe("miss");
    const again = createExecutionContext();
    const second = await runInference(gatewayEnv, again, await input("ask", { options: { cache } }));
    await waitOnExecutionContext(again);
    expect(second.cache).toBe("hit");
    expect(second.attempts).toEqual([]);
    expect(second.result).toEqual(first.result);
    expect(second.served).toEqual(first.served);
  });

  it("should throw the 502 with every attempt, disabled variants included, when nothing answers", async ({
    expect,
  }) => {
    const ctx = createExecutionContext();
    const err = await runInference(gatewayEnv, ctx, await input("broken")).catch((e: unknown) => e);
    await waitOnExecutionContext(ctx);
    expect(err).toBeInstanceOf(AppError);
    expect(err).toMatchObject({
      status: 502,
      code: "all_attempts_failed",
      details: {
        attempts: [
          { variant: "only", provider: "down", tier: "cloud", status: "server" },
          {
            variant: "keyless",
            provider: "unset",
            tier: "cloud",
            status: "skipped",
            reason: `unset: ${MISSING} is not set`,
          },
        ],
      },
    });
  });
});
