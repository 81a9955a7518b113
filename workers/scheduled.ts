/**
 * The Cron Trigger's tick (every minute): periodic work that must not depend on a single alarm surviving, and the
 * chat scheduler's due jobs (workers/chat/scheduler/tick.ts).
 */
import { botzRegistry } from "../durable-objects/botz-registry-client";
import { resourceCoordinator } from "../durable-objects/resource-coordinator-client";
import { sweepRetention } from "./bus/retention";
import { runDueJobs } from "./chat/scheduler/tick";
import { gatewayModel } from "./gateway-model";
import { sweepAnalytics } from "./jimbot/analytics/retention";
import { pruneInferenceCache } from "./models/api/cache";
import { breakerBoard } from "./platform/breaker/board";
import { tickPartitions } from "./platform/bus/partition-client";
import type { Env } from "./platform/env";
import { createLogger } from "./platform/logger";
import { flushNow } from "./platform/metrics/recorder";

export async function scheduled(controller: ScheduledController, env: Env, ctx: ExecutionContext): Promise<void> {
  const log = createLogger("cron", env.LOG_LEVEL);
  const botz = await botzRegistry(env).tick();
  const resources = await resourceCoordinator(env).tick();
  const breakers = await breakerBoard(env).tick();
  const bus = { resent: await tickPartitions(env) };
  const retention = await sweepRetention(env, controller.scheduledTime);
  const inferenceCache = await pruneInferenceCache(env, controller.scheduledTime);
  const chatJobs = await runDueJobs(
    env,
    gatewayModel,
    controller.scheduledTime,
    createLogger("chat.scheduler", env.LOG_LEVEL),
  );
  const analytics = await sweepAnalytics(env, controller.scheduledTime);
  ctx.waitUntil(flushNow(env));
  log.info("tick", {
    cron: controller.cron,
    scheduled_time: new Date(controller.scheduledTime).toISOString(),
    botz,
    resources,
    breakers,
    bus,
    retention,
    inference_cache: inferenceCache,
    chat_jobs: chatJobs,
    analytics,
  });
}
