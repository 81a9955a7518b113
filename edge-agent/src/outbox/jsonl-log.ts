/**
 * The durable file format under the agent's outbox and command ledger: JSON lines appended and fsync'd one
 * write at a time, read back tolerating a torn last line (power cut mid-write on an SD card), and rewritten
 * atomically (temp file, fsync, rename, directory fsync) when a caller compacts it.
 */
import { mkdir, open, readFile, rename } from "node:fs/promises";
import type { FileHandle } from "node:fs/promises";
import path from "node:path";

/** Every line of `file` that parses as JSON, in order; a missing file is empty, unparsable lines are skipped. */
export async function readJsonLines(file: string): Promise<unknown[]> {
  let text: string;
  try {
    text = await readFile(file, "utf8");
  } catch (err) {
    if (isNotFound(err)) return [];
    throw err;
  }
  const out: unknown[] = [];
  for (const line of text.split("\n")) {
    if (line.trim() === "") continue;
    try {
      out.push(JSON.parse(line));
    } catch {
      // A torn or corrupted line loses that one record, never the rest of the file.
    }
  }
  return out;
}

/** Replaces `file` with exactly `lines`, so a crash leaves either the old file or the new one, never a mix. */
export async function rewriteJsonLines(file: string, lines: readonly string[]): Promise<void> {
  await mkdir(path.dirname(file), { recursive: true });
  const tmp = `${file}.tmp`;
  const handle = await open(tmp, "w");
  try {
    await handle.writeFile(lines.join(""), "utf8");
    await handle.sync();
  } finally {
    await handle.close();
  }
  await rename(tmp, file);
  await syncDirectory(path.dirname(file));
}

/** An open append-only JSON-lines file; each `append` is on disk (fsync'd) when its promise resolves. */
export class JsonLinesAppender {
  private constructor(
    private readonly handle: FileHandle,
    public bytes: number,
  ) {}

  static async open(file: string): Promise<JsonLinesAppender> {
    await mkdir(path.dirname(file), { recursive: true });
    const handle = await open(file, "a");
    const { size } = await handle.stat();
    return new JsonLinesAppender(handle, size);
  }

  /** Writes `line` (which must end in "\n") and fsyncs it. */
  async append(line: string): Promise<void> {
    await this.handle.write(line, null, "utf8");
    await this.handle.sync();
    this.bytes += Buffer.byteLength(line, "utf8");
  }

  async close(): Promise<void> {
    await this.handle.close();
  }
}

/** Serialises a record as one line; `\n` inside strings is escaped by JSON, so a record is always one line. */
export function toLine(record: unknown): string {
  return `${JSON.stringify(record)}\n`;
}

/** Runs async operations one at a time, in call order, so appends and compactions never interleave. */
export class SerialQueue {
  private tail: Promise<unknown> = Promise.resolve();

  run<T>(task: () => Promise<T>): Promise<T> {
    const next = this.tail.then(task);
    // The queue keeps going after a failed task; the caller still sees the failure through `next`.
    this.tail = next.catch(() => undefined);
    return next;
  }
}

async function syncDirectory(dir: string): Promise<void> {
  // A rename is durable only once the directory entry is; some filesystems refuse fsync on a directory.
  let handle: FileHandle | undefined;
  try {
    handle = await open(dir, "r");
    await handle.sync();
  } catch {
    // Best effort: the rename itself already happened.
  } finally {
    await handle?.close();
  }
}

function isNotFound(err: unknown): boolean {
  return typeof err === "object" && err !== null && "code" in err && err.code === "ENOENT";
}
