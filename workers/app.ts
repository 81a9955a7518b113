/**
 * Composes botplane's HTTP surface: platform middleware, each domain's routers, the OpenAPI document, one
 * onError and a notFound that knows 405 from 404.
 */
import { apiKeyRoutes } from "./admin/api-key-routes";
import { consoleRoutes } from "./console/routes";
import { gatewayModel } from "./gateway-model";
import { chatConfigHealthCheck } from "./chat/config";
import { chatLimitsHealthCheck } from "./chat/limits/config";
import { discordBindingRoutes } from "./chat/discord/binding-routes";
import { discordInteractionRoutes } from "./chat/discord/interaction-routes";
import { chatAdminRoutes } from "./chat/admin/routes";
import { budgetRoutes } from "./chat/budget/routes";
import { chatRoutes } from "./chat/routes";
import { schedulerRoutes } from "./chat/scheduler/routes";
import { syncRoutes } from "./chat/sync/routes";
import { chatSocketRoutes } from "./chat/ws/ws-routes";
import { phoneBindingRoutes } from "./chat/twilio/phone-binding-routes";
import { smsRoutes } from "./chat/twilio/sms-routes";
import { voiceRoutes } from "./chat/twilio/voice-routes";
import { workflowRoutes } from "./chainbot/workflows/routes";
import { executionRoutes } from "./chainbot/executions/routes";
import { executionIndexRoutes } from "./chainbot/executions/index-routes";
import { chainbotGauges } from "./chainbot/metrics/gauges";
import { chainbotMetricsRoutes } from "./chainbot/metrics/routes";
import { instanceRoutes } from "./botz/instance-routes";
import { agentRoutes } from "./chainbot/agents/routes";
import { auditRoutes } from "./chainbot/audit/routes";
import { entanglementMessageRoutes } from "./chainbot/entanglements/message-routes";
import { entanglementRoutes } from "./chainbot/entanglements/routes";
import { chainbotConfigRoutes } from "./chainbot/config/routes";
import { chainbotLifecycleRoutes } from "./chainbot/lifecycle/routes";
import { botzRegistry } from "../durable-objects/botz-registry-client";
import { botzGauges, statsRoutes } from "./botz/stats-routes";
import { workItemRoutes } from "./botz/workitem-routes";
import { deadLetterRoutes } from "./bus/dead-letter-routes";
import { eventRoutes } from "./bus/event-routes";
import { resourceGauges } from "./resources/gauges";
import { resourceRoutes } from "./resources/routes";
import { streamRoutes } from "./bus/stream-routes";
import { topicStreamRoutes } from "./bus/topic-stream-routes";
import { analyticsQueryRoutes } from "./jimbot/analytics/query-routes";
import { edgeCommandRoutes } from "./edge/command-routes";
import { edgeConnectRoutes } from "./edge/connect-routes";
import { edgeDeviceGauges } from "./edge/device-gauges";
import { edgeDeviceRoutes } from "./edge/device-routes";
import { edgePollRoutes } from "./edge/poll-routes";
import { inferenceRoutes } from "./models/api/inference-routes";
import { logRoutes } from "./models/api/log-routes";
import { configuredProviders, providersHealthCheck } from "./models/api/providers-of";
import { openAiRoutes } from "./models/api/openai-routes";
import { modelConfigRoutes } from "./models/config/routes";
import { providerGauges } from "./models/router";
import { SCOPES } from "./platform/auth/scopes";
import { whoamiRoutes } from "./platform/auth/whoami-routes";
import { configHealthCheck } from "./platform/config";
import { breakerGauges } from "./platform/breaker/gauges";
import { handleError } from "./platform/errors";
import { healthRoutes } from "./platform/health/routes";
import { metricsRoutes } from "./platform/metrics/routes";
import { notFoundHandler } from "./platform/method-not-allowed";
import { rateLimitRoutes } from "./platform/rate-limit/routes";
import { requestContext } from "./platform/request-context";
import { createServiceMap } from "./platform/services";
import { knowledgeRoutes } from "./jimbot/knowledge/routes";
import { createRouter } from "./platform/validation";
import { gatewayHealthCheck } from "./models/config/health";
import { strategyRoutes } from "./jimbot/advisor/routes";
import { decisionRoutes } from "./jimbot/decisions/routes";
import { trainingRoutes } from "./jimbot/training/routes";

export function createApp() {
  const app = createRouter();
  const services = createServiceMap();
  app.use(
    "*",
    requestContext((pattern) => services.serviceOf(pattern)),
  );

  app.route(
    "/",
    healthRoutes({
      d1: (env) => env.DB.prepare("SELECT 1").first(),
      botz_registry: (env) => botzRegistry(env).stats(),
      gateway_config: gatewayHealthCheck,
      model_providers: providersHealthCheck,
      config: configHealthCheck,
      chat_config: chatConfigHealthCheck,
      chat_limits_config: chatLimitsHealthCheck,
    }),
  );
  app.route(
    "/",
    metricsRoutes([
      botzGauges,
      resourceGauges,
      breakerGauges,
      providerGauges(configuredProviders),
      edgeDeviceGauges,
      chainbotGauges,
    ]),
  );
  app.route("/", whoamiRoutes);
  app.route("/", consoleRoutes);
  services.mount(app, "botz", instanceRoutes);
  services.mount(app, "botz", workItemRoutes);
  services.mount(app, "botz", statsRoutes);
  services.mount(app, "admin", apiKeyRoutes);
  services.mount(app, "bus", rateLimitRoutes);
  services.mount(app, "resources", resourceRoutes);
  // /api/v1/events/stream must be mounted before eventRoutes, whose /api/v1/events/{event_id} would match it.
  services.mount(app, "bus", streamRoutes);
  services.mount(app, "bus", topicStreamRoutes);
  services.mount(app, "bus", eventRoutes);
  services.mount(app, "bus", deadLetterRoutes);
  services.mount(app, "edge", edgeConnectRoutes);
  services.mount(app, "edge", edgePollRoutes);
  services.mount(app, "edge", edgeCommandRoutes);
  services.mount(app, "edge", edgeDeviceRoutes);
  services.mount(app, "models", modelConfigRoutes);
  services.mount(app, "models", inferenceRoutes);
  services.mount(app, "models", openAiRoutes);
  services.mount(app, "models", logRoutes);
  services.mount(app, "chat", chatRoutes(gatewayModel));
  services.mount(app, "chat", chatSocketRoutes);
  services.mount(app, "chat", discordBindingRoutes);
  services.mount(app, "chat", discordInteractionRoutes);
  services.mount(app, "chat", phoneBindingRoutes);
  services.mount(app, "chat", smsRoutes);
  services.mount(app, "chat", voiceRoutes);
  services.mount(app, "chat", schedulerRoutes);
  services.mount(app, "chat", budgetRoutes);
  services.mount(app, "chat", chatAdminRoutes);
  services.mount(app, "chat", syncRoutes(gatewayModel));
  services.mount(app, "chainbot", workflowRoutes);
  services.mount(app, "chainbot", executionRoutes);
  services.mount(app, "chainbot", executionIndexRoutes);
  services.mount(app, "chainbot", chainbotMetricsRoutes);
  services.mount(app, "chainbot", chainbotConfigRoutes);
  services.mount(app, "chainbot", auditRoutes);
  services.mount(app, "chainbot", chainbotLifecycleRoutes);
  services.mount(app, "chainbot", agentRoutes);
  services.mount(app, "chainbot", entanglementRoutes);
  services.mount(app, "chainbot", entanglementMessageRoutes);
  services.mount(app, "jimbot", strategyRoutes(gatewayModel));
  services.mount(app, "jimbot", decisionRoutes);
  services.mount(app, "jimbot", trainingRoutes);
  services.mount(app, "knowledge", knowledgeRoutes);
  services.mount(app, "analytics", analyticsQueryRoutes);

  app.openAPIRegistry.registerComponent("securitySchemes", "bearer", {
    type: "http",
    scheme: "bearer",
    bearerFormat: "JWT or API key",
  });
  app.openAPIRegistry.registerComponent("securitySchemes", "apiKey", {
    type: "apiKey",
    in: "header",
    name: "x-api-key",
  });
  app.doc31("/openapi.json", {
    openapi: "3.1.0",
    info: {
      title: "botplane",
      version: "0.1.0",
      description: `Control plane for a fleet of bots. Scopes: ${Object.entries(SCOPES)
        .map(([k, v]) => `\`${k}\` — ${v}`)
        .join("; ")}.`,
    },
  });

  app.onError(handleError);
  app.notFound(notFoundHandler(app));
  return app;
}
