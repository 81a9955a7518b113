/**
 * botplane's Worker entry: HTTP, the bus queue consumers and the cron tick, plus the Durable Object classes
 * wrangler.toml binds.
 */
import { createApp } from "./app";
import { botzBusHandlers } from "./botz/bus-handlers";
import { busConsumerHooks } from "./bus/consumer-hooks";
import { gatewayModel } from "./gateway-model";
import { discordBusHandlers } from "./chat/discord/ask-handler";
import { smsBusHandlers } from "./chat/twilio/sms-reply";
import { voiceBusHandlers } from "./chat/twilio/voice-turns";
import { analyticsBusHandlers } from "./jimbot/analytics/ingest";
import { knowledgeBusHandlers } from "./jimbot/knowledge/bus-handlers";
import { createQueueHandler } from "./platform/bus/consumer";
import { mergeHandlerTables } from "./platform/bus/handlers";
import type { Env } from "./platform/env";
import { scheduled } from "./scheduled";

const app = createApp();

export default {
  fetch: app.fetch,
  queue: createQueueHandler({
    handlers: mergeHandlerTables(
      botzBusHandlers,
      smsBusHandlers(gatewayModel),
      voiceBusHandlers(gatewayModel),
      discordBusHandlers(gatewayModel),
      knowledgeBusHandlers,
      analyticsBusHandlers,
    ),
    ...busConsumerHooks,
  }),
  scheduled,
} satisfies ExportedHandler<Env>;

export { BotzRegistry } from "../durable-objects/botz-registry";
export { MetricsShard } from "../durable-objects/metrics-shard";
export { BreakerBoard } from "../durable-objects/breaker-board";
export { EventStream } from "../durable-objects/event-stream";
export { RateLimiter } from "../durable-objects/rate-limiter";
export { ResourceCoordinator } from "../durable-objects/resource-coordinator";
export { EdgeHub } from "../durable-objects/edge-hub";
export { Session } from "../durable-objects/session";
