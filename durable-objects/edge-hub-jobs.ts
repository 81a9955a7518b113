/**
 * EdgeHub's job side: submitting inference jobs to the device, the streams their answers are read from, the
 * device's acks, chunks, `done` and `error` for them, cancels, and the alarm that times out jobs past their
 * budget (and drops finished ones once late readers had their chance). Storage: edge-hub-store.ts.
 */
import { z } from "zod";
import { fail, type Result } from "../workers/platform/errors";
import type { PollChannel } from "./edge-hub-poll";
import { cancelFrame, DEVICE_TAG, errorFrame, jobFrame, send } from "./edge-hub-socket";
import { isOpen, JobStore, type JobRow } from "./edge-hub-store";
import { chunkLine, DONE_LINE, errorLine, JobStreams } from "./edge-hub-streams";
import { submitJobSchema, type DeviceMessage, type JobFailure, type SubmitJobInput } from "./protocol";

/** Finished jobs stay readable this long, for a reader that subscribes after the device already answered. */
const RETAIN_MS = 60_000;
const jobIdSchema = z.string().min(1).max(128);
const streamArgsSchema = z.object({ jobId: jobIdSchema, sinceIndex: z.number().int().nonnegative() });
const cancelArgsSchema = z.object({ jobId: jobIdSchema, reason: z.string().transform((r) => r.slice(0, 500)) });

type JobEnd = { reason: JobFailure; message: string; status?: number | undefined };
type JobMessage = Extract<DeviceMessage, { type: "ack" | "chunk" | "done" | "error" }>;

/** What the job side needs from its hub. */
export interface JobDeps {
  ctx: DurableObjectState;
  clock: () => number;
  polls: PollChannel;
  /** The socket to send to now, or null when the device polls (or is offline). */
  liveSocket: (now: number) => WebSocket | null;
  pollOnline: (now: number) => boolean;
  armBy: (at: number) => Promise<void>;
}

function finalLine(job: JobRow): string {
  if (job.status === "done") return DONE_LINE;
  return errorLine(job.failure ?? "device_error", job.message ?? "job failed", job.error_status);
}

export class JobDesk {
  readonly store: JobStore;
  private readonly streams = new JobStreams();

  constructor(private readonly deps: JobDeps) {
    this.store = new JobStore(deps.ctx.storage.sql);
  }

  /** Queues a job and sends it to the device at once; 503 `device_offline` when the device is not connected. */
  async submit(input: SubmitJobInput): Promise<Result<{ job_id: string; seq: number }>> {
    const parsed = submitJobSchema.safeParse(input);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      return fail(400, "invalid_input", `${issue?.path.join(".") ?? "input"}: ${issue?.message ?? "invalid"}`, {
        issues: parsed.error.issues,
      });
    }
    const now = this.deps.clock();
    const ws = this.deps.liveSocket(now);
    const polling = !ws && this.deps.pollOnline(now);
    if (!ws && !polling)
      return fail(503, "device_offline", `edge device '${this.store.device()?.device_id ?? "?"}' is not connected`);
    const { kind, request, deadlineMs } = parsed.data;
    const jobId = crypto.randomUUID();
    const seq = this.store.insert(jobId, kind, JSON.stringify(request), now, now + deadlineMs);
    const job = this.store.get(jobId);
    if (polling) this.deps.polls.waiters.wake();
    else if (!job || !ws || !send(ws, jobFrame(job, now))) {
      // The socket closed under us: fail now, like an offline device, rather than wait out the budget.
      this.finish(jobId, { reason: "offline", message: "the device disconnected" });
      return fail(503, "device_offline", "the edge device disconnected");
    }
    await this.deps.armBy(now + deadlineMs);
    return { ok: true, job_id: jobId, seq };
  }

  /** The job's answer as NDJSON lines: stored chunks from `sinceIndex`, then live ones, then `done` or `error`. */
  stream(jobId: string, sinceIndex: number): ReadableStream<Uint8Array> {
    const args = streamArgsSchema.safeParse({ jobId, sinceIndex });
    if (!args.success)
      return this.streams.open(
        "",
        [],
        errorLine("unknown_job", "streamJob needs a job id and an integer sinceIndex >= 0"),
      );
    const job = this.store.get(args.data.jobId);
    if (!job) return this.streams.open(args.data.jobId, [], errorLine("unknown_job", `no job '${args.data.jobId}'`));
    const replay = this.store.chunks(job.job_id, args.data.sinceIndex).map((c) => chunkLine(c.idx, c.data));
    return this.streams.open(job.job_id, replay, isOpen(job) ? null : finalLine(job));
  }

  /** Stops a job (the caller gave up): the device is told, readers get `cancelled`. */
  cancel(jobId: string, reason: string): Result<{ cancelled: boolean }> {
    const args = cancelArgsSchema.safeParse({ jobId, reason });
    if (!args.success) return fail(400, "invalid_input", "cancelJob needs a job id and a reason");
    const cancelled = this.finish(args.data.jobId, { reason: "cancelled", message: args.data.reason });
    if (cancelled) this.broadcast(cancelFrame(args.data.jobId, args.data.reason));
    return { ok: true, cancelled };
  }

  /** A device message about a job; `reply` answers on the channel it came by. */
  handle(msg: JobMessage, reply: (frame: string) => void): void {
    switch (msg.type) {
      case "ack":
        this.store.ack(msg.seq);
        return;
      case "chunk": {
        const job = this.openJob(reply, msg.job_id);
        if (!job) return;
        if (job.status === "sent") this.store.markRunning(job.job_id);
        const data = JSON.stringify(msg.data);
        if (!this.store.addChunk(job.job_id, msg.index, data)) return;
        this.streams.push(job.job_id, chunkLine(msg.index, data));
        // Ollama's final chat object ends the answer: readers are released now, not one device round trip later.
        if (job.kind === "llm.chat" && msg.data.done === true) this.finish(job.job_id);
        return;
      }
      case "done":
        if (this.openJob(reply, msg.job_id)) this.finish(msg.job_id);
        return;
      case "error":
        if (this.openJob(reply, msg.job_id))
          this.finish(msg.job_id, { reason: "device_error", message: msg.message, status: msg.status });
        return;
    }
  }

  /** Jobs a poll hands out: those not acked and not handed out within the redelivery window. */
  pollFrames(now: number): string[] {
    const frames: string[] = [];
    for (const job of this.store.unacked(now))
      if (this.deps.polls.hand(`job:${job.job_id}`, now)) frames.push(jobFrame(job, now));
    return frames;
  }

  /** When the alarm must next run for jobs. */
  nextDue(): number | null {
    return this.store.nextDue(RETAIN_MS);
  }

  /** The alarm: jobs past their budget end with `timeout` and are cancelled on the device. */
  expire(now: number): void {
    for (const job of this.store.expired(now)) {
      const message = "the device did not finish the job within its time budget";
      if (this.finish(job.job_id, { reason: "timeout", message }))
        this.broadcast(cancelFrame(job.job_id, "deadline exceeded"));
    }
    this.store.purgeFinished(now - RETAIN_MS);
  }

  /** The job a device message refers to if it is still running; late messages for a finished job are dropped. */
  private openJob(reply: (frame: string) => void, jobId: string): JobRow | null {
    const job = this.store.get(jobId);
    if (!job) {
      reply(errorFrame("unknown_job", `no job '${jobId}'`));
      return null;
    }
    return isOpen(job) ? job : null;
  }

  private finish(jobId: string, failure?: JobEnd): boolean {
    if (!this.store.finish(jobId, this.deps.clock(), failure)) return false;
    this.streams.end(jobId, failure ? errorLine(failure.reason, failure.message, failure.status) : DONE_LINE);
    return true;
  }

  private broadcast(frame: string): void {
    for (const ws of this.deps.ctx.getWebSockets(DEVICE_TAG)) send(ws, frame);
    if (this.deps.pollOnline(this.deps.clock())) this.deps.polls.push(frame);
  }
}
