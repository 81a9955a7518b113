/**
 * A fake Memgraph/Neo4j HTTP transaction endpoint: `POST /memgraph/db/neo4j/tx/commit` with
 * `{statements: [{statement, parameters}]}` answers Neo4j's `{results, errors}` (200). A statement whose
 * parameters mention `fake-memgraph-down` makes the whole request a 503, as an unreachable database would.
 */
import type { ServerResponse } from "node:http";
import { sendJson } from "./behaviour.ts";

export function handleMemgraph(path: string, body: Record<string, unknown>, res: ServerResponse): void {
  if (path !== "/memgraph/db/neo4j/tx/commit") return sendJson(res, 404, { errors: [{ message: "not found" }] });
  const statements = Array.isArray(body.statements) ? body.statements : [];
  if (JSON.stringify(statements).includes("fake-memgraph-down"))
    return sendJson(res, 503, { errors: [{ code: "Neo.TransientError.General.DatabaseUnavailable" }] });
  sendJson(res, 200, { results: statements.map(() => ({ columns: [], data: [] })), errors: [] });
}
