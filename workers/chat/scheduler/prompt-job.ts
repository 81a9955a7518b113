/**
 * Runs one prompt job (standup, eod, weekly, monthly): a chat turn for the founder — the same turn logic as
 * `POST /chat` — in the job's own session (kept on the job row; a new one when it expired), on the surface
 * the prompt goes to, then the reply delivered there. A web prompt runs in the session's object, streamed to
 * the sockets open on it. The turn's background work is collected with the
 * chat's deferred-work collector and awaited before the tick moves on.
 */
import { eq } from "drizzle-orm";
import { createDb } from "../../platform/db/client";
import { scheduledJobs } from "../../platform/db/schema";
import type { Env } from "../../platform/env";
import { AppError, unwrap } from "../../platform/errors";
import type { Logger } from "../../platform/logger";
import type { GatewayModel } from "../../platform/model-port";
import { openTurn, runTurn, type TurnRequest } from "../chat-turn";
import { chatConfig } from "../config";
import { deferredWork } from "../deferred-work";
import { ceilingFor, type TrustMode } from "../surfaces";
import { bindingCeiling } from "../twilio/phone-bindings";
import { deliver, routeFor, type Delivery } from "./delivery";
import type { JobRow } from "./job-store";
import { readPreferences } from "./job-store";
import { JOB_PROMPTS, type PromptJobType } from "./job-types";
import { socketCallerOf } from "../ws/socket-turn";

export interface JobDeps {
  env: Env;
  model: GatewayModel;
  log: Logger;
  traceparent: string;
}

export async function runPromptJob(job: JobRow, type: PromptJobType, deps: JobDeps): Promise<Delivery> {
  const { env } = deps;
  const prefs = await readPreferences(env, job.founderId);
  const route = await routeFor(env, job, prefs.promptSurface);
  const jobMode = job.trustMode as TrustMode;
  const trustMode =
    route.surface === "sms"
      ? (Math.min(bindingCeiling(route.binding), jobMode) as TrustMode)
      : ceilingFor(jobMode, route.surface);
  const request = (sessionId: string | undefined): TurnRequest => ({
    admitted: {
      caller: {
        founderId: job.founderId,
        workspaceId: job.workspaceId,
        trustModeMax: trustMode,
        scopes: ["chat:write"],
        surfaces: [route.surface],
        credential: "",
      },
      surface: route.surface,
      ceiling: trustMode,
    },
    sessionId,
    message: JOB_PROMPTS[type],
    trustMode,
  });
  let req = request(job.sessionId ?? undefined);
  const opened = await openTurn(req, env).catch((err: unknown) => {
    // The job's session expired, or was opened at another trust mode: the prompt starts a new one.
    if (!(err instanceof AppError) || err.status !== 404) throw err;
    req = request(undefined);
    return openTurn(req, env);
  });
  const turn = route.surface === "web" ? await onSockets(job, req, opened, deps) : await inWorker(req, opened, deps);
  if (turn.session_id !== job.sessionId)
    await createDb(env.DB)
      .update(scheduledJobs)
      .set({ sessionId: turn.session_id })
      .where(eq(scheduledJobs.id, job.id));
  return deliver(env, deps.log, job, route, { sessionId: turn.session_id, reply: turn.reply }, deps.traceparent);
}

type Opened = Awaited<ReturnType<typeof openTurn>>;

/** An SMS prompt: the turn runs here, as an SMS turn does. */
async function inWorker(req: TurnRequest, opened: Opened, deps: JobDeps) {
  const ctx = deferredWork();
  try {
    return await runTurn(req, opened, { ...deps, ctx });
  } finally {
    await ctx.settle();
  }
}

/**
 * A web prompt: the session's object runs the turn in its sockets' queue, so a founder with the job's session
 * open over `GET /ws` sees the prompt's reply stream in (client_id `scheduled:<job id>`) and can resume it.
 */
async function onSockets(job: JobRow, req: TurnRequest, opened: Opened, deps: JobDeps) {
  const { caller, surface, ceiling } = req.admitted;
  const answer = await opened.stub.prompt({
    asker: {
      sessionId: opened.session.id,
      caller: socketCallerOf(caller, ""),
      surface,
      trustMode: ceiling,
      ttlMs: chatConfig(deps.env).sessionTtlMs,
    },
    message: req.message,
    clientId: `scheduled:${job.id}`,
  });
  return unwrap(answer).done;
}
