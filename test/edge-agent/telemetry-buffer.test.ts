import { mkdtemp, readFile, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterEach, beforeEach, describe, it } from "vitest";
import { TelemetryBuffer } from "../../edge-agent/src/outbox/telemetry-buffer.js";

let dir: string;
let file: string;
const open: TelemetryBuffer[] = [];

beforeEach(async () => {
  dir = await mkdtemp(path.join(tmpdir(), "edge-outbox-"));
  file = path.join(dir, "outbox", "telemetry.jsonl");
});

afterEach(async () => {
  for (const buffer of open.splice(0)) await buffer.close().catch(() => undefined);
  await rm(dir, { recursive: true, force: true });
});

async function openBuffer(maxBytes?: number): Promise<TelemetryBuffer> {
  const buffer = await TelemetryBuffer.open(file, maxBytes === undefined ? {} : { maxBytes });
  open.push(buffer);
  return buffer;
}

/** Simulates the agent process ending: the next `openBuffer` is a fresh instance reading the same file. */
async function restart(buffer: TelemetryBuffer): Promise<void> {
  await buffer.close();
  open.splice(open.indexOf(buffer), 1);
}

const sample = (id: string, cpu = 51.2) => ({ id, at: "2026-12-01T00:00:00Z", cpu_temp_c: cpu, load_1m: 0.42 });

describe("TelemetryBuffer", () => {
  it("should hand back samples in order after a restart", async ({ expect }) => {
    const first = await openBuffer();
    expect(await first.append(sample("s1", 50))).toBe(true);
    expect(await first.append(sample("s2", 51))).toBe(true);
    expect(await first.append(sample("s3", 52))).toBe(true);
    await restart(first);

    const second = await openBuffer();
    expect(second.size).toBe(3);
    expect(second.peek()).toEqual([sample("s1", 50), sample("s2", 51), sample("s3", 52)]);
    expect(second.peek(2).map((s) => s.id)).toEqual(["s1", "s2"]);
  });

  it("should keep one sample per id, before and after a restart", async ({ expect }) => {
    const first = await openBuffer();
    expect(await first.append(sample("s1", 50))).toBe(true);
    expect(await first.append(sample("s1", 99))).toBe(false);
    await restart(first);
    const second = await openBuffer();
    expect(await second.append(sample("s1", 77))).toBe(false);
    expect(second.peek()).toEqual([sample("s1", 50)]);
  });

  it("should drop acknowledged samples for good and ignore unknown ids", async ({ expect }) => {
    const first = await openBuffer();
    for (const id of ["s1", "s2", "s3", "s4"]) await first.append(sample(id));
    expect(await first.ack(["s1", "s3", "never-sent"])).toBe(2);
    expect(first.peek().map((s) => s.id)).toEqual(["s2", "s4"]);
    expect(await first.ack(["s1"])).toBe(0);
    await restart(first);

    const second = await openBuffer();
    expect(second.peek().map((s) => s.id)).toEqual(["s2", "s4"]);
    await second.append(sample("s5"));
    expect(second.peek().map((s) => s.id)).toEqual(["s2", "s4", "s5"]);
    // Opening compacts: acked history is gone from the file itself.
    const lines = (await readFile(file, "utf8")).trim().split("\n");
    expect(lines.map((l) => (JSON.parse(l) as { sample: { id: string } }).sample.id)).toEqual(["s2", "s4", "s5"]);
  });

  it("should stay within maxBytes by dropping the oldest samples", async ({ expect }) => {
    // Pad each sample so its line is exactly 128 bytes: eight fit in 1024.
    const base = JSON.stringify({ op: "add", sample: { id: "s00", pad: "" } }).length + 1;
    const padded = (i: number) => ({ id: `s${String(i).padStart(2, "0")}`, pad: "x".repeat(128 - base) });
    const buffer = await openBuffer(1024);
    for (let i = 0; i < 20; i += 1) await buffer.append(padded(i));
    expect(buffer.peek().map((s) => s.id)).toEqual(["s12", "s13", "s14", "s15", "s16", "s17", "s18", "s19"]);
    expect(buffer.droppedCount).toBe(12);
    expect((await stat(file)).size).toBe(1024);
    await restart(buffer);

    const reopened = await openBuffer(1024);
    expect(reopened.peek().map((s) => s.id)).toEqual(["s12", "s13", "s14", "s15", "s16", "s17", "s18", "s19"]);
  });

  it("should apply a smaller bound as soon as it opens", async ({ expect }) => {
    const base = JSON.stringify({ op: "add", sample: { id: "s00", pad: "" } }).length + 1;
    const padded = (i: number) => ({ id: `s${String(i).padStart(2, "0")}`, pad: "x".repeat(128 - base) });
    const roomy = await openBuffer(2048);
    for (let i = 0; i < 10; i += 1) await roomy.append(padded(i));
    expect(roomy.droppedCount).toBe(0);
    await restart(roomy);

    const tight = await openBuffer(1024);
    expect(tight.droppedCount).toBe(2);
    expect(tight.peek().map((s) => s.id)).toEqual(["s02", "s03", "s04", "s05", "s06", "s07", "s08", "s09"]);
    expect((await stat(file)).size).toBe(1024);
  });

  it("should recover from a torn last line left by a crash mid-write", async ({ expect }) => {
    const first = await openBuffer();
    await first.append(sample("s1"));
    await first.append(sample("s2"));
    await restart(first);
    const intact = await readFile(file, "utf8");
    await writeFile(file, `${intact}{"op":"add","sample":{"id":"s3","cpu`);

    const second = await openBuffer();
    expect(second.peek().map((s) => s.id)).toEqual(["s1", "s2"]);
    await second.append(sample("s4"));
    await restart(second);
    const third = await openBuffer();
    expect(third.peek().map((s) => s.id)).toEqual(["s1", "s2", "s4"]);
  });

  it("should refuse a sample without an id", async ({ expect }) => {
    const buffer = await openBuffer();
    expect(() => buffer.append({ id: "" })).toThrow(/id/);
    expect(buffer.size).toBe(0);
  });
});
