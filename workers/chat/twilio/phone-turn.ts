/**
 * One chat turn for a bound phone number (SMS and voice): the founder and workspace of the binding, surface
 * `sms` (plain text, its trust ceiling), in the binding's session — a new one when there is none or it has
 * expired, remembered on the binding — through the same turn logic as `POST /chat`.
 */
import type { Env } from "../../platform/env";
import { AppError } from "../../platform/errors";
import type { Logger } from "../../platform/logger";
import { openTurn, runTurn, type TurnRequest } from "../chat-turn";
import { deferredWork } from "../deferred-work";
import type { GatewayModel } from "../../platform/model-port";
import type { TrustMode } from "../surfaces";
import { bindingCeiling, setBindingSession, type PhoneBindingRow } from "./phone-bindings";

/** One turn for the number's founder in the number's session; resolves to the reply text. */
export async function phoneTurn(
  env: Env,
  model: GatewayModel,
  binding: PhoneBindingRow,
  text: string,
  traceparent: string,
  log: Logger,
): Promise<string> {
  const ceiling = bindingCeiling(binding);
  const request = (sessionId: string | undefined): TurnRequest => ({
    admitted: {
      caller: {
        founderId: binding.userId,
        workspaceId: binding.workspaceId,
        trustModeMax: binding.trustMode as TrustMode,
        scopes: ["chat:write"],
        surfaces: ["sms"],
        credential: "",
      },
      surface: "sms",
      ceiling,
    },
    sessionId,
    message: text,
    trustMode: ceiling,
  });
  let req = request(binding.sessionId ?? undefined);
  const opened = await openTurn(req, env).catch((err: unknown) => {
    // The number's session expired (TTL) or is gone: the conversation starts a new one.
    if (!(err instanceof AppError) || err.status !== 404) throw err;
    req = request(undefined);
    return openTurn(req, env);
  });
  const ctx = deferredWork();
  try {
    const result = await runTurn(req, opened, {
      env,
      ctx,
      model,
      log,
      traceparent,
    });
    if (result.session_id !== binding.sessionId) await setBindingSession(env, binding.phone, result.session_id);
    return result.reply;
  } finally {
    await ctx.settle();
  }
}
