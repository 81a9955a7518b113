/**
 * The readers of EdgeHub jobs: each `streamJob` call gets a byte stream of NDJSON lines (protocol.ts
 * `jobStreamLineSchema`) that starts with the job's stored chunks and then follows it live, ending with one
 * `done` or `error` line. Streams live in memory only; a reader that loses its stream resumes with
 * `sinceIndex` and is replayed the rest from storage.
 */
import type { JobFailure } from "./protocol";

const encoder = new TextEncoder();

export function chunkLine(index: number, dataJson: string): string {
  // dataJson is the device's object as stored (already JSON): spliced in, not parsed and re-serialised.
  return `{"type":"chunk","index":${index},"data":${dataJson}}\n`;
}

export const DONE_LINE = '{"type":"done"}\n';

export function errorLine(reason: JobFailure, message: string, status?: number | null): string {
  return `${JSON.stringify(status === null || status === undefined ? { type: "error", reason, message } : { type: "error", reason, message, status })}\n`;
}

type Controller = ReadableStreamDefaultController<Uint8Array>;

export class JobStreams {
  private readonly readers = new Map<string, Set<Controller>>();

  /** A stream that first emits `replay`, then live lines until `end` (given now when the job is over). */
  open(jobId: string, replay: readonly string[], end: string | null): ReadableStream<Uint8Array> {
    let self: Controller | null = null;
    return new ReadableStream<Uint8Array>({
      start: (controller) => {
        for (const line of replay) controller.enqueue(encoder.encode(line));
        if (end !== null) {
          controller.enqueue(encoder.encode(end));
          controller.close();
          return;
        }
        self = controller;
        const set = this.readers.get(jobId) ?? new Set<Controller>();
        set.add(controller);
        this.readers.set(jobId, set);
      },
      cancel: () => {
        if (self) this.drop(jobId, self);
      },
    });
  }

  push(jobId: string, line: string): void {
    const bytes = encoder.encode(line);
    for (const controller of this.readers.get(jobId) ?? []) {
      try {
        controller.enqueue(bytes);
      } catch {
        // The reader went away without cancelling: stop writing to it.
        this.drop(jobId, controller);
      }
    }
  }

  /** Emits the final line and closes every reader of the job. */
  end(jobId: string, line: string): void {
    this.push(jobId, line);
    for (const controller of this.readers.get(jobId) ?? []) {
      try {
        controller.close();
      } catch {
        // Already closed or errored.
      }
    }
    this.readers.delete(jobId);
  }

  get size(): number {
    let n = 0;
    for (const set of this.readers.values()) n += set.size;
    return n;
  }

  private drop(jobId: string, controller: Controller): void {
    const set = this.readers.get(jobId);
    if (!set) return;
    set.delete(controller);
    if (set.size === 0) this.readers.delete(jobId);
  }
}
