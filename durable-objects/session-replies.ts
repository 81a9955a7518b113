/**
 * The session's reply log (SQLite): every `response` frame of the reply in flight and of the last finished
 * one, numbered by seq, exactly as it went out. A socket that reconnects mid-reply is replayed the frames
 * after the last seq it got and then joins the live stream; older replies are dropped when a new one starts.
 */

export type ReplyStatus = "streaming" | "done" | "error";

export interface ReplySummary {
  reply_id: string;
  status: ReplyStatus;
  /** The seq of the reply's last stored frame. */
  last_seq: number;
}

interface ReplyRow extends Record<string, SqlStorageValue> {
  reply_id: string;
  status: string;
  last_seq: number | null;
}

const asStatus = (s: string): ReplyStatus => (s === "done" || s === "error" ? s : "streaming");

export class ReplyLog {
  constructor(private readonly sql: SqlStorage) {
    sql.exec(`CREATE TABLE IF NOT EXISTS replies (
      n INTEGER PRIMARY KEY AUTOINCREMENT, reply_id TEXT NOT NULL UNIQUE, status TEXT NOT NULL,
      started_at INTEGER NOT NULL)`);
    sql.exec(`CREATE TABLE IF NOT EXISTS reply_frames (
      reply_id TEXT NOT NULL, seq INTEGER NOT NULL, frame TEXT NOT NULL, PRIMARY KEY (reply_id, seq)) WITHOUT ROWID`);
  }

  /** Starts a reply, keeping only the newest earlier one (the last finished reply) for late resumes. */
  begin(replyId: string, now: number): void {
    const keep = this.sql.exec<{ n: number }>("SELECT n FROM replies ORDER BY n DESC LIMIT 1").toArray()[0]?.n ?? 0;
    this.sql.exec("DELETE FROM reply_frames WHERE reply_id IN (SELECT reply_id FROM replies WHERE n < ?)", keep);
    this.sql.exec("DELETE FROM replies WHERE n < ?", keep);
    this.sql.exec("INSERT INTO replies (reply_id, status, started_at) VALUES (?, 'streaming', ?)", replyId, now);
  }

  append(replyId: string, seq: number, frame: string): void {
    this.sql.exec("INSERT INTO reply_frames (reply_id, seq, frame) VALUES (?, ?, ?)", replyId, seq, frame);
  }

  finish(replyId: string, status: Exclude<ReplyStatus, "streaming">): void {
    this.sql.exec("UPDATE replies SET status = ? WHERE reply_id = ?", status, replyId);
  }

  /** The stored frames after `afterSeq`, in order; null for a reply the log does not hold. */
  framesAfter(replyId: string, afterSeq: number): string[] | null {
    if (this.sql.exec("SELECT 1 FROM replies WHERE reply_id = ?", replyId).toArray().length === 0) return null;
    return this.sql
      .exec<{ frame: string }>(
        "SELECT frame FROM reply_frames WHERE reply_id = ? AND seq > ? ORDER BY seq",
        replyId,
        afterSeq,
      )
      .toArray()
      .map((r) => r.frame);
  }

  latest(): ReplySummary | null {
    return this.summaries("ORDER BY n DESC LIMIT 1")[0] ?? null;
  }

  /** Replies left `streaming` by an object that was reset mid-turn: nothing will ever finish them. */
  orphaned(): ReplySummary[] {
    return this.summaries("WHERE status = 'streaming'");
  }

  clear(): void {
    this.sql.exec("DELETE FROM reply_frames");
    this.sql.exec("DELETE FROM replies");
  }

  private summaries(tail: string): ReplySummary[] {
    return this.sql
      .exec<ReplyRow>(
        `SELECT r.reply_id, r.status, (SELECT MAX(seq) FROM reply_frames f WHERE f.reply_id = r.reply_id) AS last_seq
         FROM replies r ${tail}`,
      )
      .toArray()
      .map((r) => ({ reply_id: r.reply_id, status: asStatus(r.status), last_seq: r.last_seq ?? -1 }));
  }
}
