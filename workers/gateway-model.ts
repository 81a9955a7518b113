/**
 * Binds the platform's model port (platform/model-port.ts) to the model gateway's in-process API
 * (workers/models/index.ts): every chat reply, workflow agent task or advisor answer is one `runInference` /
 * `streamInference` call of the configured function, never an HTTP round trip. It sits beside app.ts, the
 * composition root, because a domain never imports another.
 */
import type { GatewayModel, ModelCall } from "./platform/model-port";
import {
  embedText,
  loadGatewayConfig,
  resolveTarget,
  runInference,
  streamInference,
  type InferenceInput,
} from "./models";
import type { Env } from "./platform/env";

async function inputOf(env: Env, call: ModelCall): Promise<InferenceInput> {
  const config = await loadGatewayConfig(env);
  return {
    config,
    target: resolveTarget(config, { function_name: call.functionName }),
    system: call.system,
    messages: call.messages,
    params: call.maxTokens === undefined ? {} : { max_tokens: call.maxTokens },
    options: {
      tools: call.tools,
      workspace: call.workspace,
      traceparent: call.traceparent,
      tags: { caller: call.caller },
      maxTier: call.maxTier,
    },
  };
}

export const gatewayModel: GatewayModel = {
  async complete(env, ctx, call) {
    const answer = await runInference(env, ctx, await inputOf(env, call));
    return {
      content: answer.result.content,
      usage: answer.usage,
      costUsd: answer.costUsd,
      served: { variant: answer.served.variant, provider: answer.served.provider, model: answer.served.model },
    };
  },
  async stream(env, ctx, call) {
    const executed = await streamInference(env, ctx, await inputOf(env, call));
    return {
      events: executed.stream,
      served: { variant: executed.attempt.variant, provider: executed.attempt.provider, model: executed.attempt.model },
      done: executed.done.then((o) => ({ usage: o.usage, costUsd: o.cost_usd, error: o.error })),
    };
  },
  async embed(env, ctx, text) {
    return embedText(env, (p) => ctx.waitUntil(p), await loadGatewayConfig(env), text);
  },
};
