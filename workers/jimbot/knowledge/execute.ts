/**
 * One GraphQL request, from text to answer, the same for `/graphql` and for `knowledge.query` events:
 * parse → validate → depth/cost limits → a concurrency slot → execute within the operation's time budget
 * (`query_timeout` / `mutation_timeout`). Errors keep GraphQL's form (`{ errors: [{ message, locations,
 * extensions: { code } }] }`) and carry the HTTP status GraphQL over HTTP gives them.
 */
import {
  execute,
  getOperationAST,
  GraphQLError,
  Kind,
  parse,
  validate,
  type DocumentNode,
  type FragmentDefinitionNode,
} from "graphql";
import type { GraphqlBody, GraphqlErrorJson, GraphqlResponse } from "./schemas";
import type { KnowledgeConfig } from "./config";
import { admit, executionHooks } from "./gate";
import { knowledgeSchema, type GraphContext } from "./graphql-schema";
import { checkLimits } from "./limits";

export interface GraphqlOutcome {
  status: 200 | 400 | 403 | 405 | 429 | 504;
  body: GraphqlResponse;
  headers?: Record<string, string>;
}

export interface GraphqlRun {
  env: GraphContext["env"];
  config: KnowledgeConfig;
  /** GET may only read (GraphQL over HTTP); the bus and POST may also mutate. */
  allowMutation: boolean;
  /** Whether the caller holds `knowledge:write`. */
  canMutate: boolean;
  applyUpdate: GraphContext["applyUpdate"];
}

class BudgetExceeded extends Error {
  override name = "BudgetExceeded";
}

function toWire(error: GraphQLError): GraphqlErrorJson {
  const j = error.toJSON();
  const wire: GraphqlErrorJson = { message: j.message };
  if (j.locations) wire.locations = j.locations.map((l) => ({ line: l.line, column: l.column }));
  if (j.path) wire.path = [...j.path];
  if (j.extensions) wire.extensions = { ...j.extensions };
  return wire;
}

function failed(status: GraphqlOutcome["status"], errors: readonly GraphQLError[], headers?: Record<string, string>) {
  const outcome: GraphqlOutcome = { status, body: { errors: errors.map(toWire) } };
  if (headers) outcome.headers = headers;
  return outcome;
}

function coded(message: string, code: string, extensions: Record<string, unknown> = {}): GraphQLError {
  return new GraphQLError(message, { extensions: { code, ...extensions } });
}

function parseDocument(query: string): DocumentNode | GraphQLError {
  try {
    return parse(query, { maxTokens: 5000 });
  } catch (err) {
    if (err instanceof GraphQLError) return err;
    throw err;
  }
}

export async function runGraphql(body: GraphqlBody, run: GraphqlRun): Promise<GraphqlOutcome> {
  const document = parseDocument(body.query);
  if (document instanceof GraphQLError) return failed(400, [document]);
  const invalid = validate(knowledgeSchema, document);
  if (invalid.length) return failed(400, invalid);
  const operation = getOperationAST(document, body.operationName ?? undefined);
  if (!operation) return failed(400, [coded("no operation to run: name one with operationName", "BAD_REQUEST")]);
  if (operation.operation === "mutation" && !run.allowMutation) {
    return failed(
      405,
      [coded("mutations need POST /graphql (or, on the bus, a knowledge.update event)", "METHOD_NOT_ALLOWED")],
      { allow: "POST" },
    );
  }
  if (operation.operation === "mutation" && !run.canMutate) {
    return failed(403, [coded("missing scope 'knowledge:write' for a mutation", "FORBIDDEN")]);
  }
  const variables = body.variables ?? {};
  const fragments = document.definitions.filter(
    (d): d is FragmentDefinitionNode => d.kind === Kind.FRAGMENT_DEFINITION,
  );
  const limits = checkLimits(knowledgeSchema, operation, fragments, variables);
  if (limits.errors.length) return failed(400, limits.errors);

  const release = admit(run.config.maxConcurrentQueries);
  if (!release) {
    const message = `${run.config.maxConcurrentQueries} queries are already running (max_concurrent_queries); retry shortly`;
    return failed(429, [coded(message, "TOO_MANY_CONCURRENT_QUERIES")], { "retry-after": "1" });
  }
  try {
    if (executionHooks.afterAdmit) await executionHooks.afterAdmit();
    const mutation = operation.operation === "mutation";
    const budgetMs = mutation ? run.config.mutationTimeoutMs : run.config.queryTimeoutMs;
    const controller = new AbortController();
    const stopped = new Promise<"stopped">((resolve) => {
      controller.signal.addEventListener("abort", () => resolve("stopped"), { once: true });
    });
    const timer = setTimeout(() => controller.abort(new BudgetExceeded()), budgetMs);
    try {
      const contextValue: GraphContext = {
        env: run.env,
        signal: controller.signal,
        beforeResolve: executionHooks.beforeResolve,
        applyUpdate: run.applyUpdate,
      };
      const result = await Promise.race([
        Promise.resolve(
          execute({
            schema: knowledgeSchema,
            document,
            operationName: body.operationName ?? undefined,
            variableValues: variables,
            contextValue,
            abortSignal: controller.signal,
          }),
        ),
        stopped,
      ]);
      if (result === "stopped" || controller.signal.aborted) {
        const name = mutation ? "mutation_timeout" : "query_timeout";
        const message =
          `${operation.operation} stopped: it ran past its ${budgetMs} ms budget (${name})` +
          (mutation ? "; an update may still have been applied — resend it with the same update_id" : "");
        return failed(504, [coded(message, "TIMEOUT", { timeout_ms: budgetMs, budget: name })]);
      }
      const formatted: GraphqlResponse = { data: result.data ?? null };
      if (result.errors?.length) formatted.errors = result.errors.map(toWire);
      return { status: 200, body: formatted };
    } finally {
      clearTimeout(timer);
    }
  } finally {
    release();
  }
}
