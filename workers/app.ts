/**
 * Composes botplane's HTTP surface: platform middleware, each domain's routers, the OpenAPI document, one
 * onError and a notFound that knows 405 from 404.
 */
import { apiKeyRoutes } from "./admin/api-key-routes";
import { instanceRoutes } from "./botz/instance-routes";
import { registry } from "./botz/registry";
import { botzGauges, statsRoutes } from "./botz/stats-routes";
import { workItemRoutes } from "./botz/workitem-routes";
import { deadLetterRoutes } from "./bus/dead-letter-routes";
import { eventRoutes } from "./bus/event-routes";
import { resourceGauges } from "./bus/resources/gauges";
import { resourceRoutes } from "./bus/resources/routes";
import { streamRoutes } from "./bus/stream-routes";
import { edgeConnectRoutes } from "./edge/connect-routes";
import { inferenceRoutes } from "./models/api/inference-routes";
import { logRoutes } from "./models/api/log-routes";
import { configuredProviders, providersHealthCheck } from "./models/api/providers-of";
import { openAiRoutes } from "./models/api/openai-routes";
import { modelConfigRoutes } from "./models/config/routes";
import { providerGauges } from "./models/router";
import { SCOPES } from "./platform/auth/scopes";
import { configHealthCheck } from "./platform/config";
import { breakerGauges } from "./platform/breaker/gauges";
import { handleError } from "./platform/errors";
import { healthRoutes } from "./platform/health/routes";
import { metricsRoutes } from "./platform/metrics/routes";
import { notFoundHandler } from "./platform/method-not-allowed";
import { rateLimitRoutes } from "./platform/rate-limit/routes";
import { requestContext } from "./platform/request-context";
import { createRouter } from "./platform/validation";
import { gatewayHealthCheck } from "./models/config/health";

const SERVICES: [prefix: string, service: string][] = [
  ["/v1/botz", "botz"],
  ["/v1/workitems", "botz"],
  ["/v1/stats", "botz"],
  ["/v1/admin", "admin"],
  ["/api/v1/events", "bus"],
  ["/api/v1/dead-letters", "bus"],
  ["/api/v1/resources", "bus"],
  ["/api/v1/config", "bus"],
  ["/api/v1/edge", "edge"],
];

function serviceOf(pattern: string): string {
  return SERVICES.find(([prefix]) => pattern.startsWith(prefix))?.[1] ?? "platform";
}

export function createApp() {
  const app = createRouter();
  app.use("*", requestContext(serviceOf));

  app.route(
    "/",
    healthRoutes({
      d1: (env) => env.DB.prepare("SELECT 1").first(),
      botz_registry: (env) => registry(env).stats(),
      gateway_config: gatewayHealthCheck,
      model_providers: providersHealthCheck,
      config: configHealthCheck,
    }),
  );
  app.route("/", metricsRoutes([botzGauges, resourceGauges, breakerGauges, providerGauges(configuredProviders)]));
  app.route("/", instanceRoutes);
  app.route("/", workItemRoutes);
  app.route("/", statsRoutes);
  app.route("/", apiKeyRoutes);
  app.route("/", rateLimitRoutes);
  app.route("/", resourceRoutes);
  // /api/v1/events/stream must be mounted before eventRoutes, whose /api/v1/events/{event_id} would match it.
  app.route("/", streamRoutes);
  app.route("/", eventRoutes);
  app.route("/", deadLetterRoutes);
  app.route("/", edgeConnectRoutes);
  app.route("/", modelConfigRoutes);
  app.route("/", inferenceRoutes);
  app.route("/", openAiRoutes);
  app.route("/", logRoutes);

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
