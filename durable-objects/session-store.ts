/**
 * The Session object's SQLite: one `session` row (the seed's fields plus the rolling summary) and its
 * `turns` in order. Every change is synchronous, so each RPC's read-modify-write is atomic.
 *
 * The object is its storage's only writer, so the state is also kept in memory, replaced (never mutated: a
 * turn in progress may hold the previous one) on every write: reading a session's whole context back from
 * SQLite several times a turn was the largest cost of a chat turn in the bench profile.
 */
import { estimateTokens, type SessionState, type Turn } from "./session-contract";

interface SessionRow extends Record<string, SqlStorageValue> {
  id: string;
  founder_id: string;
  workspace_id: string;
  trust_mode: number;
  surface: string;
  summary: string | null;
  summary_version: number;
  created_at: number;
  last_active_at: number;
  expires_at: number;
}

interface TurnRow extends Record<string, SqlStorageValue> {
  seq: number;
  role: string;
  text: string;
  tokens: number;
  at: number;
}

export class SessionStore {
  /** undefined: not read yet (or forgotten after a rolled-back transaction); null: no session. */
  private cached: SessionState | null | undefined = undefined;

  constructor(private readonly sql: SqlStorage) {
    sql.exec(`CREATE TABLE IF NOT EXISTS session (
      id TEXT PRIMARY KEY, founder_id TEXT NOT NULL, workspace_id TEXT NOT NULL, trust_mode INTEGER NOT NULL,
      surface TEXT NOT NULL, summary TEXT, summary_version INTEGER NOT NULL DEFAULT 0,
      created_at INTEGER NOT NULL, last_active_at INTEGER NOT NULL, expires_at INTEGER NOT NULL)`);
    sql.exec(`CREATE TABLE IF NOT EXISTS turns (
      seq INTEGER PRIMARY KEY AUTOINCREMENT, role TEXT NOT NULL, text TEXT NOT NULL, tokens INTEGER NOT NULL,
      at INTEGER NOT NULL)`);
  }

  private row(): SessionRow | null {
    return this.sql.exec<SessionRow>("SELECT * FROM session LIMIT 1").toArray()[0] ?? null;
  }

  state(): SessionState | null {
    if (this.cached === undefined) this.cached = this.read();
    return this.cached;
  }

  /** Drops the in-memory state: after a transaction that rolled back, storage is the truth again. */
  forget(): void {
    this.cached = undefined;
  }

  private read(): SessionState | null {
    const row = this.row();
    if (!row) return null;
    const context: Turn[] = this.sql
      .exec<TurnRow>("SELECT * FROM turns ORDER BY seq")
      .toArray()
      .map((t) => ({
        seq: t.seq,
        role: t.role === "user" ? "user" : "assistant",
        text: t.text,
        tokens: t.tokens,
        at: t.at,
      }));
    return {
      id: row.id,
      founderId: row.founder_id,
      workspaceId: row.workspace_id,
      trustMode: row.trust_mode as SessionState["trustMode"],
      surface: row.surface as SessionState["surface"],
      summary: row.summary,
      summaryVersion: row.summary_version,
      context,
      createdAt: row.created_at,
      lastActiveAt: row.last_active_at,
      expiresAt: row.expires_at,
    };
  }

  create(s: Omit<SessionState, "summary" | "summaryVersion" | "context">): void {
    this.sql.exec(
      `INSERT INTO session (id, founder_id, workspace_id, trust_mode, surface, created_at, last_active_at, expires_at)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
      s.id,
      s.founderId,
      s.workspaceId,
      s.trustMode,
      s.surface,
      s.createdAt,
      s.lastActiveAt,
      s.expiresAt,
    );
    this.cached = { ...s, summary: null, summaryVersion: 0, context: [] };
  }

  touch(now: number, expiresAt: number, surface?: SessionState["surface"]): void {
    if (surface === undefined) this.sql.exec("UPDATE session SET last_active_at = ?, expires_at = ?", now, expiresAt);
    else this.sql.exec("UPDATE session SET last_active_at = ?, expires_at = ?, surface = ?", now, expiresAt, surface);
    const current = this.state();
    if (current)
      this.cached = { ...current, lastActiveAt: now, expiresAt, ...(surface === undefined ? {} : { surface }) };
  }

  addTurn(role: "user" | "assistant", text: string, at: number): void {
    const current = this.state();
    const tokens = estimateTokens(text);
    const { seq } = this.sql
      .exec<{ seq: number }>(
        "INSERT INTO turns (role, text, tokens, at) VALUES (?, ?, ?, ?) RETURNING seq",
        role,
        text,
        tokens,
        at,
      )
      .one();
    if (current) this.cached = { ...current, context: [...current.context, { seq, role, text, tokens, at }] };
  }

  fold(upToSeq: number, summary: string): void {
    const current = this.state();
    this.sql.exec("DELETE FROM turns WHERE seq <= ?", upToSeq);
    this.sql.exec("UPDATE session SET summary = ?, summary_version = summary_version + 1", summary);
    if (current)
      this.cached = {
        ...current,
        summary,
        summaryVersion: current.summaryVersion + 1,
        context: current.context.filter((t) => t.seq > upToSeq),
      };
  }

  expiresAt(): number | null {
    return this.state()?.expiresAt ?? null;
  }

  clear(): void {
    this.sql.exec("DELETE FROM turns");
    this.sql.exec("DELETE FROM session");
    this.cached = null;
  }
}
