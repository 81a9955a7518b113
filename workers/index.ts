/**
 * botplane's Worker entry: HTTP, the bus queue consumers and the cron tick, plus the Durable Object classes
 * wrangler.toml binds.
 */
import { agentTaskAnswerer } from "../durable-objects/entanglement-contract";
import { socketTurns } from "../durable-objects/session-socket-contract";
import { executionRuntime } from "../durable-objects/workflow-execution-contract";
import { createApp } from "./app";
import { assistantAnswerer } from "./chainbot/entanglements/answerer";
import { advisorBusHandlers } from "./jimbot/advisor/bus-handler";
import { trainingBusHandlers } from "./jimbot/training/metrics-handler";
import { botzBusHandlers } from "./botz/bus-handlers";
import { busConsumerHooks } from "./bus/consumer-hooks";
import { gatewayModel } from "./gateway-model";
import { discordBusHandlers } from "./chat/discord/ask-handler";
import { smsBusHandlers } from "./chat/twilio/sms-reply";
import { voiceBusHandlers } from "./chat/twilio/voice-turns";
import { socketTurnRunner } from "./chat/ws/socket-turn";
import { analyticsBusHandlers } from "./jimbot/analytics/ingest";
import { knowledgeBusHandlers } from "./jimbot/knowledge/bus-handlers";
import { createQueueHandler } from "./platform/bus/consumer";
import { mergeHandlerTables } from "./platform/bus/handlers";
import type { Env } from "./platform/env";
import { scheduled } from "./scheduled";
import { createExecutionRuntime } from "./chainbot/executions/runtime";

// Before any request or alarm reaches an object of this script: the domain half of workflow executions.
executionRuntime.provide(createExecutionRuntime(gatewayModel));

const app = createApp();
// Before any request or alarm reaches an Entanglement object of this script: its assistants answer through it.
agentTaskAnswerer.provide(assistantAnswerer(gatewayModel));
socketTurns.provide(socketTurnRunner(gatewayModel));

export default {
  fetch: app.fetch,
  queue: createQueueHandler({
    handlers: mergeHandlerTables(
      botzBusHandlers,
      smsBusHandlers(gatewayModel),
      voiceBusHandlers(gatewayModel),
      discordBusHandlers(gatewayModel),
      advisorBusHandlers(gatewayModel),
      trainingBusHandlers,
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
export { AgentRegistry } from "../durable-objects/agent-registry";
export { Entanglement } from "../durable-objects/entanglement";
export { WorkflowExecution } from "../durable-objects/workflow-execution";
export { WorkflowAdmission } from "../durable-objects/workflow-admission";
