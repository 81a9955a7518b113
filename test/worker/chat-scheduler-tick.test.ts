/**
 * The scheduler on the Cron Trigger tick, through the Worker's `scheduled` entry: a job fires once per due
 * time, in the founder's time zone (across a DST change), once after several skipped ticks, once when two
 * ticks overlap; its prompt reaches the founder by SMS (the fake Twilio REST API) exactly once, or stays in
 * the transcript for `web`; a summary job folds transcripts into a weekly summary.
 */
import { env } from "cloudflare:workers";
import { createExecutionContext, createScheduledController, waitOnExecutionContext } from "cloudflare:test";
import { afterEach, beforeAll, describe, it } from "vitest";
import worker from "../../workers/index";
import { call, json, token, uniqueId } from "./helpers";
import { founderToken, useChatModel } from "./chat-support";
import { openChatSocket, tokenText } from "./support/chat-socket";
import { bindPhone, smsSentTo, uniquePhone } from "./twilio-support";

const MODEL = `echo~${uniqueId("sched")}`;
const JOBS = "/api/v1/chat/scheduled-jobs";
const MIN = 60_000;
const DAY = 24 * 60 * MIN;

interface Job {
  id: string;
  next_run: string | null;
  last_run: string | null;
  session_id: string | null;
}

async function tick(at: number): Promise<void> {
  const ctx = createExecutionContext();
  await worker.scheduled(createScheduledController({ scheduledTime: new Date(at), cron: "* * * * *" }), env, ctx);
  await waitOnExecutionContext(ctx);
}

interface Founder {
  id: string;
  token: string;
}

async function founder(prefs: { time_zone?: string; prompt_surface?: "sms" | "web" } = {}): Promise<Founder> {
  const id = uniqueId("sched-tick");
  const token = await founderToken({ user_id: id, workspace_id: id, trust_mode_max: 2 });
  if (Object.keys(prefs).length > 0) {
    const res = await call("/api/v1/chat/preferences", { method: "PUT", token, body: prefs });
    if (res.status !== 200) throw new Error(`preferences: ${res.status}`);
  }
  return { id, token };
}

/** A job of the founder whose next run is `dueAt` (set in D1, so the test owns the clock). */
async function jobDueAt(f: Founder, type: string, schedule: string, dueAt: number): Promise<string> {
  const res = await call(JOBS, { token: f.token, body: { type, schedule } });
  if (res.status !== 201) throw new Error(`create: ${res.status} ${await res.text()}`);
  const { id } = await json<{ id: string }>(res);
  await env.DB.prepare("UPDATE scheduled_jobs SET next_run = ? WHERE id = ?").bind(dueAt, id).run();
  return id;
}

async function readJob(f: Founder, id: string): Promise<Job> {
  return json<Job>(await call(`${JOBS}/${id}`, { token: f.token }));
}

/** The turns written for the founder's workspace: one per prompt job run. */
async function transcriptCount(workspaceId: string): Promise<number> {
  const row = await env.DB.prepare("SELECT count(*) AS n FROM transcripts WHERE workspace_id = ?")
    .bind(workspaceId)
    .first<{ n: number }>();
  return row?.n ?? 0;
}

const iso = (ms: number) => new Date(ms).toISOString();

beforeAll(async () => {
  await useChatModel(MODEL);
});

afterEach(async () => {
  // Ticks run every due job: leave none of this file's behind for the next test's tick.
  await env.DB.prepare("DELETE FROM scheduled_jobs WHERE founder_id LIKE 'sched-tick-%'").run();
});

describe("scheduled() chat jobs", () => {
  it("should fire a job exactly once per due time and keep last_run and next_run", async ({ expect }) => {
    const f = await founder();
    const due = Date.parse("2030-01-07T09:00:00.000Z");
    const id = await jobDueAt(f, "standup", "0 9 * * *", due);

    await tick(due - MIN);
    expect(await transcriptCount(f.id)).toBe(0);
    expect(await readJob(f, id)).toMatchObject({ last_run: null, next_run: iso(due) });

    await tick(due);
    expect(await transcriptCount(f.id)).toBe(1);
    const ran = await readJob(f, id);
    expect(ran).toMatchObject({ last_run: iso(due), next_run: iso(due + DAY) });
    expect(ran.session_id).toMatch(/^[0-9a-f-]{36}$/);
    // The run is announced for open sockets, without the reply's text (asserted now: later ticks at 2030
    // times sweep event history past its retention).
    const read = await token(["events:read"]);
    const announced = async () => {
      const res = await call(`/api/v1/events?subject=chat.scheduled.prompt.v1&limit=1000`, { token: read });
      const events = (await json<{ events: { payload: Record<string, unknown> }[] }>(res)).events;
      return events.map((e) => e.payload).filter((p) => p.job_id === id);
    };
    await expect.poll(async () => (await announced()).length, { timeout: 10_000 }).toBe(1);
    expect((await announced())[0]).toEqual({
      job_id: id,
      job_type: "standup",
      founder_id: f.id,
      workspace_id: f.id,
      namespace: "wb",
      session_id: ran.session_id,
      due_at: iso(due),
    });

    // The same due time again (a retried tick) and the minutes after it: nothing more.
    await tick(due);
    await tick(due + MIN);
    expect(await transcriptCount(f.id)).toBe(1);

    await tick(due + DAY);
    expect(await transcriptCount(f.id)).toBe(2);
    expect(await readJob(f, id)).toMatchObject({
      last_run: iso(due + DAY),
      next_run: iso(due + 2 * DAY),
      session_id: ran.session_id,
    });
    const { results } = await env.DB.prepare(
      "SELECT surface, messages FROM transcripts WHERE workspace_id = ? ORDER BY created_at",
    )
      .bind(f.id)
      .all<{ surface: string; messages: string }>();
    expect(results.map((r) => r.surface)).toEqual(["web", "web"]);
    expect(results[0]?.messages).toContain("[Scheduled daily standup]");
  });

  it("should stream a web prompt to the sockets open on the job's session", async ({ expect }) => {
    const f = await founder();
    const due = Date.now() + 5 * MIN;
    const id = await jobDueAt(f, "standup", "0 9 * * *", due);
    await tick(due);
    const { session_id: sessionId } = await readJob(f, id);
    const socket = await openChatSocket(`?session_id=${sessionId ?? "none"}`, { token: f.token });
    try {
      await env.DB.prepare("UPDATE scheduled_jobs SET next_run = ? WHERE id = ?")
        .bind(due + DAY, id)
        .run();
      await tick(due + DAY);
      const frames = await socket.finished();
      const start = frames[0];
      const done = frames.at(-1);
      expect(start?.event === "start" ? [start.client_id, start.message] : null).toEqual([
        `scheduled:${id}`,
        expect.stringContaining("[Scheduled daily standup]"),
      ]);
      expect(done?.event).toBe("done");
      expect(done?.event === "done" ? done.reply : "").toBe(tokenText(frames));
      expect(await transcriptCount(f.id)).toBe(2);
    } finally {
      socket.close();
    }
  });

  it("should read the schedule in the founder's zone, across the DST change", async ({ expect }) => {
    const f = await founder({ time_zone: "America/New_York" });
    // Saturday 9 March 2030, 09:00 EST; New York moves to EDT on Sunday 10 March.
    const due = Date.parse("2030-03-09T14:00:00.000Z");
    const id = await jobDueAt(f, "standup", "0 9 * * *", due);
    await tick(due);
    expect(await readJob(f, id)).toMatchObject({ last_run: iso(due), next_run: "2030-03-10T13:00:00.000Z" });
    await tick(Date.parse("2030-03-10T13:00:00.000Z"));
    expect(await readJob(f, id)).toMatchObject({ next_run: "2030-03-11T13:00:00.000Z" });
    expect(await transcriptCount(f.id)).toBe(2);
  });

  it("should catch up once, not once per missed tick, after skipped ticks", async ({ expect }) => {
    const f = await founder();
    const due = Date.parse("2030-02-04T09:00:00.000Z");
    const id = await jobDueAt(f, "eod", "0 9 * * *", due);
    // The Worker was down for three days: the first tick after comes at 09:05 on the 7th.
    const late = due + 3 * DAY + 5 * MIN;
    await tick(late);
    expect(await transcriptCount(f.id)).toBe(1);
    expect(await readJob(f, id)).toMatchObject({ last_run: iso(late), next_run: iso(due + 4 * DAY) });
    await tick(late + MIN);
    await tick(late + 2 * MIN);
    expect(await transcriptCount(f.id)).toBe(1);
  });

  it("should run a job once when two ticks overlap", async ({ expect }) => {
    const f = await founder();
    const due = Date.parse("2030-04-01T09:00:00.000Z");
    const id = await jobDueAt(f, "weekly", "0 9 * * 1", due);
    await Promise.all([tick(due), tick(due), tick(due + MIN)]);
    expect(await transcriptCount(f.id)).toBe(1);
    expect(await readJob(f, id)).toMatchObject({ next_run: "2030-04-08T09:00:00.000Z" });
  });

  it("should send the prompt by SMS to the founder's bound phone exactly once", async ({ expect }) => {
    const f = await founder({ prompt_surface: "sms" });
    const phone = uniquePhone();
    await bindPhone(phone, f.id, 1);
    const due = Date.parse("2030-05-06T09:00:00.000Z");
    await jobDueAt(f, "standup", "0 9 * * 1-5", due);
    await tick(due);
    await tick(due);
    await tick(due + MIN);
    const sent = await smsSentTo(phone);
    expect(sent.length).toBe(1);
    expect(sent[0]?.From).toBe("+15005550006");
    expect(sent[0]?.Body).toMatch(/^echo: \[Scheduled daily standup\] Open the founder's daily standup/);
    const { results } = await env.DB.prepare("SELECT surface FROM transcripts WHERE workspace_id = ?")
      .bind(f.id)
      .all<{ surface: string }>();
    expect(results).toEqual([{ surface: "sms" }]);
  });

  it("should keep a mode-3 job's prompt off SMS", async ({ expect }) => {
    const id = uniqueId("sched-tick");
    const token = await founderToken({ user_id: id, workspace_id: id, trust_mode_max: 3 });
    await call("/api/v1/chat/preferences", { method: "PUT", token, body: { prompt_surface: "sms" } });
    const phone = uniquePhone();
    await bindPhone(phone, id, 1);
    const due = Date.parse("2030-05-07T09:00:00.000Z");
    await jobDueAt({ id, token }, "standup", "0 9 * * *", due);
    await tick(due);
    expect(await smsSentTo(phone)).toEqual([]);
    const { results } = await env.DB.prepare("SELECT surface, namespace FROM transcripts WHERE workspace_id = ?")
      .bind(id)
      .all<{ surface: string; namespace: string }>();
    expect(results).toEqual([{ surface: "web", namespace: "wbs" }]);
  });

  it("should prune what has expired on a maintenance run", async ({ expect }) => {
    const f = await founder();
    const phone = uniquePhone();
    await bindPhone(phone, f.id, 1);
    const now = Date.now();
    const insert = env.DB.prepare(
      "INSERT INTO summaries (id, namespace, workspace_id, type, content, generated_at) VALUES (?, 'wb', ?, 'blockers', ?, ?)",
    );
    await env.DB.batch(
      Array.from({ length: 23 }, (_, i) =>
        insert.bind(crypto.randomUUID(), f.id, `blockers ${i}`, now - (23 - i) * MIN),
      ),
    );
    const sms = env.DB.prepare(
      "INSERT INTO sms_inbound (message_sid, phone, event_id, received_at, sent_at) VALUES (?, ?, ?, ?, ?)",
    );
    const oldSid = `SM${crypto.randomUUID().replaceAll("-", "")}`;
    const freshSid = `SM${crypto.randomUUID().replaceAll("-", "")}`;
    await env.DB.batch([
      sms.bind(oldSid, phone, crypto.randomUUID(), now - 8 * DAY, now - 8 * DAY),
      sms.bind(freshSid, phone, crypto.randomUUID(), now - DAY, now - DAY),
    ]);
    const due = now + MIN;
    await jobDueAt(f, "maintenance", "0 3 * * *", due);
    await tick(due);
    const { results: kept } = await env.DB.prepare(
      "SELECT content FROM summaries WHERE workspace_id = ? ORDER BY generated_at",
    )
      .bind(f.id)
      .all<{ content: string }>();
    expect(kept.map((k) => k.content)).toEqual(Array.from({ length: 20 }, (_, i) => `blockers ${i + 3}`));
    const { results: rows } = await env.DB.prepare("SELECT message_sid FROM sms_inbound WHERE phone = ?")
      .bind(phone)
      .all<{ message_sid: string }>();
    expect(rows).toEqual([{ message_sid: freshSid }]);
    expect(await transcriptCount(f.id)).toBe(0);
  });

  it("should rebuild the workspace's rolling summaries without a prompt", async ({ expect }) => {
    const f = await founder();
    const chat = await call("/chat", { token: f.token, body: { message: "we shipped the beta to ten bakeries" } });
    expect(chat.status).toBe(200);
    const due = Date.now() + 5 * MIN;
    await jobDueAt(f, "summary", "0 18 * * 5", due);
    await tick(due);
    const { results } = await env.DB.prepare(
      "SELECT type, namespace, content FROM summaries WHERE workspace_id = ? ORDER BY generated_at",
    )
      .bind(f.id)
      .all<{ type: string; namespace: string; content: string }>();
    expect(results.map((r) => [r.type, r.namespace]).sort()).toEqual([
      ["blockers", "wb"],
      ["decisions", "wb"],
      ["plan", "wb"],
      ["weekly", "wb"],
    ]);
    expect(results.find((r) => r.type === "weekly")?.content).toContain("we shipped the beta to ten bakeries");
    // No prompt: the only transcript is the founder's own turn.
    expect(await transcriptCount(f.id)).toBe(1);
  });
});
