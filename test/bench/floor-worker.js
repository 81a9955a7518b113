// Floor Worker for `npm run bench`: the smallest Worker whose every request writes Durable Object SQLite once.
// It owns nothing else. Its throughput is the ceiling a claim-like path (one serialized DO write per request)
// can reach in the same runtime on the same machine, so the bench prints botplane's claims beside it.
import { DurableObject } from "cloudflare:workers";

export class FloorWriter extends DurableObject {
  constructor(ctx, env) {
    super(ctx, env);
    // Schema once per object start, not per request: the floor must measure one write and nothing more.
    ctx.storage.sql.exec(
      "CREATE TABLE IF NOT EXISTS hits (id INTEGER PRIMARY KEY AUTOINCREMENT, who TEXT NOT NULL, at INTEGER NOT NULL)",
    );
  }

  /** One INSERT, synchronous inside the object (like a claim's read-modify-write with no await). */
  write(who) {
    return this.ctx.storage.sql.exec("INSERT INTO hits (who, at) VALUES (?, ?) RETURNING id", who, Date.now()).one().id;
  }
}

export default {
  async fetch(request, env) {
    // One object for every request, as botplane's BotzRegistry is one object per ecosystem: writes serialize.
    const stub = env.FLOOR.get(env.FLOOR.idFromName("floor"));
    const id = await stub.write(request.headers.get("x-bench-conn") ?? "anon");
    return Response.json({ id });
  },
};
