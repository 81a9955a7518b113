/**
 * The read-only check of `POST /api/v1/query` with a real SQL parser (node-sql-parser, SQLite grammar):
 * exactly one SELECT, reading only the analytics tables (and its own CTEs), calling only known functions.
 * PRAGMA, ATTACH and every write fail here — as a syntax error or a refused statement — with the position
 * (line, column, offset) the parser gives. ANALYTICS_DB holding nothing else is the second wall.
 */
import sqlite from "node-sql-parser/build/sqlite";
import { QUERYABLE_TABLES } from "./tables";

export interface SqlPosition {
  line: number;
  column: number;
  offset: number;
}

export type SqlCheck = { ok: true; sql: string } | { ok: false; code: string; message: string; position: SqlPosition };

/** SQLite functions a query may call: aggregates, scalar, date/time and JSON reads. Nothing that touches files. */
const FUNCTIONS = new Set([
  "count",
  "sum",
  "total",
  "avg",
  "min",
  "max",
  "group_concat",
  "string_agg",
  "abs",
  "round",
  "ceil",
  "ceiling",
  "floor",
  "coalesce",
  "ifnull",
  "nullif",
  "iif",
  "lower",
  "upper",
  "length",
  "substr",
  "substring",
  "instr",
  "replace",
  "trim",
  "ltrim",
  "rtrim",
  "printf",
  "format",
  "typeof",
  "date",
  "time",
  "datetime",
  "strftime",
  "julianday",
  "unixepoch",
  "json_extract",
  "json_array_length",
  "json_type",
  "json_valid",
  "row_number",
  "rank",
  "dense_rank",
  "lag",
  "lead",
  "first_value",
  "last_value",
  "ntile",
  "percent_rank",
]);

const START: SqlPosition = { line: 1, column: 1, offset: 0 };
const parser = new sqlite.Parser();
const OPTIONS = { database: "sqlite", parseOptions: { includeLocations: true } };

interface Loc {
  start: SqlPosition;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null;
}

function positionAt(sql: string, offset: number): SqlPosition {
  const before = sql.slice(0, offset).split("\n");
  return { line: before.length, column: (before.at(-1)?.length ?? 0) + 1, offset };
}

/** Where a table name first appears as a word (the parser keeps no location on table references). */
function positionOfWord(sql: string, word: string): SqlPosition {
  const escaped = word.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
  const m = new RegExp(`(^|[^A-Za-z0-9_])(["\`[]?)${escaped}\\b`, "i").exec(sql);
  return m ? positionAt(sql, m.index + (m[1]?.length ?? 0)) : START;
}

function functionName(node: Record<string, unknown>): string {
  if (typeof node.name === "string") return node.name;
  const parts = isRecord(node.name) && Array.isArray(node.name.name) ? node.name.name : [];
  return parts.map((p: unknown) => (isRecord(p) ? String(p.value) : "")).join(".");
}

/** Every function call in the tree, with where the parser saw it. */
function functionsIn(node: unknown, out: { name: string; loc?: Loc }[] = []) {
  if (Array.isArray(node)) {
    for (const n of node) functionsIn(n, out);
  } else if (isRecord(node)) {
    if (node.type === "function" || node.type === "aggr_func" || node.type === "window_func") {
      const loc = isRecord(node.loc) && isRecord(node.loc.start) ? (node.loc as unknown as Loc) : undefined;
      out.push(loc ? { name: functionName(node), loc } : { name: functionName(node) });
    }
    for (const value of Object.values(node)) functionsIn(value, out);
  }
  return out;
}

function cteNames(node: unknown, out = new Set<string>()): Set<string> {
  if (Array.isArray(node)) {
    for (const n of node) cteNames(n, out);
  } else if (isRecord(node)) {
    if (Array.isArray(node.with)) {
      for (const w of node.with) if (isRecord(w) && isRecord(w.name)) out.add(String(w.name.value).toLowerCase());
    }
    for (const value of Object.values(node)) cteNames(value, out);
  }
  return out;
}

function syntaxPosition(err: unknown): SqlPosition | null {
  if (!isRecord(err) || !isRecord(err.location) || !isRecord(err.location.start)) return null;
  const s = err.location.start;
  return { line: Number(s.line), column: Number(s.column), offset: Number(s.offset) };
}

export function checkSql(input: string): SqlCheck {
  const sql = input.trim().replace(/;\s*$/, "");
  let ast: unknown;
  let tables: string[];
  try {
    ast = parser.astify(sql, OPTIONS);
    tables = parser.tableList(sql, OPTIONS);
  } catch (err) {
    const position = syntaxPosition(err);
    if (!position) throw err;
    const message = err instanceof Error ? err.message : String(err);
    return {
      ok: false,
      code: "sql_syntax",
      message: `not readable SQL (only one SELECT is allowed): ${message}`,
      position,
    };
  }
  const statements = Array.isArray(ast) ? ast : [ast];
  if (statements.length !== 1) {
    const second = sql.indexOf(";");
    return {
      ok: false,
      code: "sql_not_single_select",
      message: `exactly one statement is allowed; got ${statements.length}`,
      position: second >= 0 ? positionAt(sql, second) : START,
    };
  }
  const statement: unknown = statements[0];
  const kind = isRecord(statement) ? String(statement.type) : "unknown";
  if (kind !== "select") {
    return {
      ok: false,
      code: "sql_not_select",
      message: `only SELECT is allowed, not ${kind.toUpperCase()}`,
      position: START,
    };
  }
  const ctes = cteNames(statement);
  for (const entry of tables) {
    const [op, db, table = ""] = entry.split("::");
    const known =
      (QUERYABLE_TABLES as readonly string[]).includes(table.toLowerCase()) || ctes.has(table.toLowerCase());
    if (op !== "select" || (db !== "null" && db !== undefined) || !known) {
      return {
        ok: false,
        code: "sql_unknown_table",
        message: `table '${db && db !== "null" ? `${db}.` : ""}${table}' cannot be queried; known tables: ${QUERYABLE_TABLES.join(", ")}`,
        position: positionOfWord(sql, table),
      };
    }
  }
  for (const fn of functionsIn(statement)) {
    if (!FUNCTIONS.has(fn.name.toLowerCase())) {
      return {
        ok: false,
        code: "sql_unknown_function",
        message: `function '${fn.name}' is not allowed in analytics queries`,
        position: fn.loc?.start ?? positionOfWord(sql, fn.name),
      };
    }
  }
  return { ok: true, sql };
}
