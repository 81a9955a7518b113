/**
 * The scheduler's tools in the chat tool registry: `schedule_job` and `cancel_job` (mode 2) schedule and
 * cancel the founder's jobs in the session's namespace, validate their input with zod, and are refused below
 * mode 2 with nothing written; `/chat` offers them to the model saying which mode they need.
 */
import { env } from "cloudflare:workers";
import { afterEach, describe, it } from "vitest";
import { listJobs, type JobScope } from "../../workers/chat/scheduler/job-store";
import { ToolRegistry } from "../../workers/chat/tools/registry";
import { scheduleTools } from "../../workers/chat/tools/schedule-tools";
import { uniqueId } from "./helpers";

function scope(trustMode: 0 | 1 | 2 | 3): JobScope {
  const id = uniqueId("sched-tools");
  return { founderId: id, workspaceId: id, namespace: trustMode === 3 ? "wbs" : "wb", trustMode };
}

afterEach(async () => {
  await env.DB.prepare("DELETE FROM scheduled_jobs WHERE founder_id LIKE 'sched-tools-%'").run();
});

describe("schedule tools", () => {
  it("should schedule and cancel a job at trust mode 2", async ({ expect }) => {
    const s = scope(2);
    const registry = new ToolRegistry(scheduleTools(env, s));
    const scheduled = await registry.run(
      "schedule_job",
      JSON.stringify({ type: "standup", schedule: "0 9 * * 1-5" }),
      "web",
      2,
    );
    expect(scheduled.status).toBe("ok");
    const job = (scheduled.result as { job: { id: string; type: string; schedule: string; next_run: string | null } })
      .job;
    expect(job).toMatchObject({ type: "standup", schedule: "0 9 * * 1-5", enabled: true, trust_mode: 2 });
    expect(job.next_run).toMatch(/T09:00:00\.000Z$/);
    expect((await listJobs(env, s)).map((j) => j.id)).toEqual([job.id]);

    const listed = await registry.run("list_jobs", "", "web", 2);
    expect((listed.result as { jobs: { id: string }[] }).jobs.map((j) => j.id)).toEqual([job.id]);

    const cancelled = await registry.run("cancel_job", JSON.stringify({ id: job.id }), "web", 2);
    expect(cancelled).toEqual({ status: "ok", result: { cancelled: job.id } });
    expect(await listJobs(env, s)).toEqual([]);
    const again = await registry.run("cancel_job", JSON.stringify({ id: job.id }), "web", 2);
    expect(again.result).toEqual({ error: "not_found", message: `no scheduled job ${job.id}` });
  });

  it("should refuse schedule_job and cancel_job below trust mode 2 and write nothing", async ({ expect }) => {
    const s = scope(1);
    const registry = new ToolRegistry(scheduleTools(env, s));
    const refused = await registry.run(
      "schedule_job",
      JSON.stringify({ type: "eod", schedule: "0 18 * * *" }),
      "web",
      1,
    );
    expect(refused).toEqual({
      status: "not_allowed",
      result: {
        error: "not_allowed",
        message: "'schedule_job' is not allowed at trust mode 1; it needs trust mode 2",
        required_trust_mode: 2,
      },
    });
    expect(await listJobs(env, s)).toEqual([]);
    const cancel = await registry.run("cancel_job", JSON.stringify({ id: crypto.randomUUID() }), "web", 1);
    expect(cancel.status).toBe("not_allowed");
    expect((await registry.run("list_jobs", "", "web", 1)).status).toBe("ok");
  });

  it("should answer invalid_arguments naming the field for a bad schedule or type", async ({ expect }) => {
    const s = scope(2);
    const registry = new ToolRegistry(scheduleTools(env, s));
    const bad = await registry.run("schedule_job", JSON.stringify({ type: "standup", schedule: "9am" }), "web", 2);
    expect(bad.status).toBe("error");
    expect((bad.result as { message: string }).message).toMatch(/^schedule: not a usable cron expression/);
    const badType = await registry.run(
      "schedule_job",
      JSON.stringify({ type: "nap", schedule: "0 9 * * *" }),
      "web",
      2,
    );
    expect((badType.result as { error: string; message: string }).error).toBe("invalid_arguments");
    expect((badType.result as { message: string }).message).toMatch(/^type:/);
    expect(await listJobs(env, s)).toEqual([]);
  });

  it("should keep a mode-3 session's jobs in the Sovereign namespace", async ({ expect }) => {
    const s = scope(3);
    const registry = new ToolRegistry(scheduleTools(env, s));
    const made = await registry.run(
      "schedule_job",
      JSON.stringify({ type: "monthly", schedule: "0 10 1 * *" }),
      "web",
      3,
    );
    expect(made.status).toBe("ok");
    expect((await listJobs(env, s)).map((j) => j.namespace)).toEqual(["wbs"]);
    expect(await listJobs(env, { ...s, namespace: "wb", trustMode: 2 })).toEqual([]);
  });
});
