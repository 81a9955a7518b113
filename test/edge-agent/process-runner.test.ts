import { describe, it } from "vitest";
import { createNodeProcessRunner } from "../../edge-agent/src/process-runner";

const runner = createNodeProcessRunner();

describe("edge-agent createNodeProcessRunner", () => {
  it("should pass arguments as they are, with no shell in between", async ({ expect }) => {
    const tricky = ["18=1; touch /tmp/pwned", "$(id)", "a b"];
    const { stdout } = await runner.execFile(process.execPath, [
      "-e",
      "process.stdout.write(JSON.stringify(process.argv.slice(1)))",
      ...tricky,
    ]);
    expect(JSON.parse(stdout)).toEqual(tricky);
  });

  it("should reject with ENOENT for a missing program and with the exit for a failing one", async ({ expect }) => {
    await expect(runner.execFile("botplane-no-such-program", [])).rejects.toMatchObject({ code: "ENOENT" });
    await expect(runner.execFile(process.execPath, ["-e", "process.exit(3)"])).rejects.toMatchObject({ code: 3 });
  });

  it("should keep a spawned holder alive until it is killed", async ({ expect }) => {
    const holder = runner.spawn(process.execPath, ["-e", "setInterval(() => {}, 1000)"]);
    await holder.started;
    holder.kill();
    expect(await holder.exited).toBe(null);
    const missing = runner.spawn("botplane-no-such-program", []);
    await expect(missing.started).rejects.toMatchObject({ code: "ENOENT" });
    expect(await missing.exited).toBe(null);
  });
});
