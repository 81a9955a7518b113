/**
 * The scheduler's routes through the Worker's entry: a founder's jobs created, read, changed and cancelled,
 * `next_run` in the founder's time zone (and moved when the zone changes), bad cron expressions and zones
 * refused naming the field, and jobs kept apart by founder and by the mode-3 namespace.
 */
import { env } from "cloudflare:workers";
import { afterEach, describe, it } from "vitest";
import { call, json, uniqueId } from "./helpers";
import { founderToken } from "./chat-support";

interface Job {
  id: string;
  type: string;
  schedule: string;
  enabled: boolean;
  time_zone: string;
  next_run: string | null;
  last_run: string | null;
  trust_mode: number;
}

const JOBS = "/api/v1/chat/scheduled-jobs";

/** The wall-clock time of an instant in a zone, as HH:MM. */
function localTime(iso: string, timeZone: string): string {
  return new Intl.DateTimeFormat("en-GB", { timeZone, hour: "2-digit", minute: "2-digit", hourCycle: "h23" }).format(
    new Date(iso),
  );
}

async function founder(trustModeMax = 2, scopes?: string[]) {
  const id = uniqueId("sched-routes");
  return {
    id,
    token: await founderToken({
      user_id: id,
      workspace_id: id,
      trust_mode_max: trustModeMax,
      ...(scopes ? { scopes } : {}),
    }),
  };
}

afterEach(async () => {
  await env.DB.prepare("DELETE FROM scheduled_jobs WHERE founder_id LIKE 'sched-routes-%'").run();
});

describe("/api/v1/chat/scheduled-jobs", () => {
  it("should create, read, change and cancel a job, with next_run in the founder's time zone", async ({ expect }) => {
    const f = await founder();
    const prefs = await call("/api/v1/chat/preferences", {
      method: "PUT",
      token: f.token,
      body: { time_zone: "America/New_York", prompt_surface: "web" },
    });
    expect(prefs.status).toBe(200);
    expect(await json(prefs)).toMatchObject({ time_zone: "America/New_York", prompt_surface: "web" });

    const before = Date.now();
    const created = await call(JOBS, { token: f.token, body: { type: "standup", schedule: "0 9 * * *" } });
    expect(created.status).toBe(201);
    const job = await json<Job>(created);
    expect(job).toMatchObject({
      type: "standup",
      schedule: "0 9 * * *",
      enabled: true,
      time_zone: "America/New_York",
      last_run: null,
      trust_mode: 2,
    });
    expect(job.next_run).not.toBeNull();
    const next = job.next_run ?? "";
    expect(localTime(next, "America/New_York")).toBe("09:00");
    expect(Date.parse(next)).toBeGreaterThan(before);
    expect(Date.parse(next) - before).toBeLessThanOrEqual(24 * 3_600_000);

    expect(await json(await call(`${JOBS}/${job.id}`, { token: f.token }))).toEqual(job);
    expect((await json<{ jobs: Job[] }>(await call(JOBS, { token: f.token }))).jobs.map((j) => j.id)).toEqual([job.id]);

    const disabled = await call(`${JOBS}/${job.id}`, { method: "PATCH", token: f.token, body: { enabled: false } });
    expect(disabled.status).toBe(200);
    expect(await json(disabled)).toMatchObject({ enabled: false, next_run: null });
    const moved = await call(`${JOBS}/${job.id}`, {
      method: "PATCH",
      token: f.token,
      body: { enabled: true, type: "eod", schedule: "30 17 * * 1-5" },
    });
    const eod = await json<Job>(moved);
    expect(eod).toMatchObject({ type: "eod", enabled: true, schedule: "30 17 * * 1-5" });
    expect(localTime(eod.next_run ?? "", "America/New_York")).toBe("17:30");

    expect((await call(`${JOBS}/${job.id}`, { method: "DELETE", token: f.token })).status).toBe(204);
    const gone = await call(`${JOBS}/${job.id}`, { token: f.token });
    expect(gone.status).toBe(404);
    expect((await json<{ error: { code: string } }>(gone)).error.code).toBe("scheduled_job_not_found");
  });

  it("should move next_run when the founder's time zone changes", async ({ expect }) => {
    const f = await founder();
    const job = await json<Job>(await call(JOBS, { token: f.token, body: { type: "weekly", schedule: "0 8 * * 1" } }));
    expect(job.time_zone).toBe("UTC");
    expect(localTime(job.next_run ?? "", "UTC")).toBe("08:00");
    await call("/api/v1/chat/preferences", { method: "PUT", token: f.token, body: { time_zone: "Asia/Kolkata" } });
    const after = await json<Job>(await call(`${JOBS}/${job.id}`, { token: f.token }));
    expect(after.time_zone).toBe("Asia/Kolkata");
    expect(localTime(after.next_run ?? "", "Asia/Kolkata")).toBe("08:00");
    expect(localTime(after.next_run ?? "", "UTC")).toBe("02:30");
  });

  it("should answer 400 naming body.schedule for a bad or never-firing cron expression", async ({ expect }) => {
    const f = await founder();
    for (const schedule of ["61 9 * * *", "0 9 * *", "every day", "0 0 30 2 *", "0 9 * * * *"]) {
      const res = await call(JOBS, { token: f.token, body: { type: "standup", schedule } });
      expect(res.status, schedule).toBe(400);
      const body = await json<{ error: { code: string; message: string; details: { issues: { field: string }[] } } }>(
        res,
      );
      expect(body.error.code).toBe("invalid_input");
      expect(body.error.message).toMatch(/^body\.schedule: not a usable cron expression/);
      expect(body.error.details.issues.map((i) => i.field)).toEqual(["body.schedule"]);
    }
    const tz = await call("/api/v1/chat/preferences", {
      method: "PUT",
      token: f.token,
      body: { time_zone: "Atlantis/Capital" },
    });
    expect(tz.status).toBe(400);
    expect((await json<{ error: { message: string } }>(tz)).error.message).toBe(
      "body.time_zone: must be an IANA time zone such as America/New_York",
    );
    const badType = await call(JOBS, { token: f.token, body: { type: "nap", schedule: "0 9 * * *" } });
    expect(badType.status).toBe(400);
    expect((await json<{ error: { message: string } }>(badType)).error.message).toMatch(/^body\.type/);
  });

  it("should keep jobs apart by founder and keep mode-3 jobs invisible below mode 3", async ({ expect }) => {
    const sovereign = await founder(3);
    const job = await json<Job>(
      await call(JOBS, { token: sovereign.token, body: { type: "monthly", schedule: "0 10 1 * *" } }),
    );
    expect(job.trust_mode).toBe(3);
    const list = async (query: string) =>
      (await json<{ jobs: Job[] }>(await call(`${JOBS}${query}`, { token: sovereign.token }))).jobs.map((j) => j.id);
    expect(await list("")).toEqual([job.id]);
    expect(await list("?trust_mode=2")).toEqual([]);
    expect((await call(`${JOBS}/${job.id}?trust_mode=2`, { token: sovereign.token })).status).toBe(404);
    const other = await founder(3);
    expect((await call(`${JOBS}/${job.id}`, { token: other.token })).status).toBe(404);
    expect((await call(`${JOBS}/${job.id}`, { method: "DELETE", token: other.token })).status).toBe(404);
    expect(await list("")).toEqual([job.id]);
  });

  it("should refuse a change without chat:write and a trust mode above the ceiling", async ({ expect }) => {
    const reader = await founder(2, ["chat:read"]);
    const res = await call(JOBS, { token: reader.token, body: { type: "standup", schedule: "0 9 * * *" } });
    expect(res.status).toBe(403);
    expect((await json<{ error: { code: string } }>(res)).error.code).toBe("forbidden");
    const low = await founder(1);
    const high = await call(`${JOBS}?trust_mode=3`, {
      token: low.token,
      body: { type: "standup", schedule: "0 9 * * *" },
    });
    expect(high.status).toBe(403);
    expect((await json<{ error: { code: string } }>(high)).error.code).toBe("trust_mode_exceeded");
    expect((await json<{ jobs: Job[] }>(await call(JOBS, { token: low.token }))).jobs).toEqual([]);
  });
});
