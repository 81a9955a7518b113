/**
 * The hub's inference jobs on the device: each job id runs once through the Ollama forwarder, its NDJSON objects
 * sent as numbered `chunk` frames and closed by `done` or `error`. What was sent is remembered for recent jobs,
 * so a job the hub sends again (after a reconnect) is answered by replaying the same chunks — the protocol has
 * the hub drop indexes it already has — instead of running twice. `cancel` aborts the upstream request.
 */
import type { DeviceMessage, JobMessage } from "../../../durable-objects/protocol.js";
import { forwardJob } from "../llm/ollama-forwarder.js";
import type { Logger } from "../log.js";

/** Sends on the live connection if there is one; false when the message could not go out. */
export type Send = (message: DeviceMessage) => Promise<boolean>;

interface JobRecord {
  chunks: Record<string, unknown>[];
  /** The closing frame once the job ended. */
  end?: DeviceMessage;
  controller: AbortController;
  finished: Promise<void>;
}

export interface JobRunnerOptions {
  ollamaUrl: string;
  send: Send;
  log: Logger;
  /** Finished jobs remembered for replay; default 32. */
  remember?: number;
}

export class JobRunner {
  readonly #jobs = new Map<string, JobRecord>();

  constructor(private readonly options: JobRunnerOptions) {}

  /** Jobs still running. */
  get running(): number {
    return [...this.#jobs.values()].filter((job) => job.end === undefined).length;
  }

  /** Runs a new job, or replays a known one's frames so far (a running one goes on sending the rest). */
  start(job: JobMessage): void {
    const known = this.#jobs.get(job.job_id);
    if (known) {
      void this.#replay(job.job_id, known);
      return;
    }
    const record: JobRecord = { chunks: [], controller: new AbortController(), finished: Promise.resolve() };
    this.#jobs.set(job.job_id, record);
    // The hub cancels a job past its budget, but a cancel sent while the link is down never arrives: stop it here
    // too, so Ollama is not left generating an answer nobody will read.
    const budget = setTimeout(() => this.cancel(job.job_id, "time budget exceeded"), job.timeout_ms);
    record.finished = this.#run(job, record).finally(() => clearTimeout(budget));
    this.#forgetOld();
  }

  /** The hub's cancel: aborts the upstream Ollama request; the job ends with an `error` frame. */
  cancel(jobId: string, reason: string): void {
    const record = this.#jobs.get(jobId);
    if (record === undefined || record.end !== undefined) return;
    this.options.log.log("INFO", "job cancelled", { job_id: jobId, reason });
    record.controller.abort(new Error(reason));
  }

  /** Aborts every running job (shutdown) and resolves once each has sent, or failed to send, its end frame. */
  async cancelAll(reason: string): Promise<void> {
    const running = [...this.#jobs.entries()].filter(([, record]) => record.end === undefined);
    for (const [jobId] of running) this.cancel(jobId, reason);
    await Promise.all(running.map(([, record]) => record.finished));
  }

  async #run(job: JobMessage, record: JobRecord): Promise<void> {
    const { job_id } = job;
    this.options.log.log("INFO", "job started", { job_id, kind: job.kind, model: job.request.model });
    let end: DeviceMessage;
    try {
      const result = await forwardJob(
        this.options.ollamaUrl,
        { kind: job.kind, request: job.request },
        record.controller.signal,
        async (index, data) => {
          record.chunks.push(data);
          await this.options.send({ type: "chunk", job_id, index, data });
        },
      );
      if (result.ok) end = { type: "done", job_id };
      else {
        const reason = record.controller.signal.reason as unknown;
        const message = result.cancelled && reason instanceof Error ? `cancelled: ${reason.message}` : result.message;
        end = { type: "error", job_id, message, ...(result.status === undefined ? {} : { status: result.status }) };
      }
    } catch (err) {
      end = { type: "error", job_id, message: `agent failure: ${err instanceof Error ? err.message : String(err)}` };
    }
    record.end = end;
    this.options.log.log("INFO", "job ended", { job_id, outcome: end.type, chunks: record.chunks.length });
    await this.options.send(end);
  }

  async #replay(jobId: string, record: JobRecord): Promise<void> {
    // Copies taken now: chunks a running job adds later go out on their own.
    const chunks = [...record.chunks];
    const end = record.end;
    for (const [index, data] of chunks.entries()) {
      if (!(await this.options.send({ type: "chunk", job_id: jobId, index, data }))) return;
    }
    if (end) await this.options.send(end);
  }

  /** Drops the oldest finished jobs past the replay window; running ones are always kept. */
  #forgetOld(): void {
    const finished = [...this.#jobs.entries()].filter(([, record]) => record.end !== undefined);
    const excess = finished.length - (this.options.remember ?? 32);
    for (const [jobId] of finished.slice(0, Math.max(0, excess))) this.#jobs.delete(jobId);
  }
}
