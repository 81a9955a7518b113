/**
 * A real botplane served the way `npm start` serves it (scripts/start.mjs: local D1 migrations, then
 * `wrangler dev --test-scheduled` under Node 22), on a free port and a storage directory of the test's own.
 * The server runs in its own process group so `kill()` can SIGKILL wrangler, both workerd processes and
 * esbuild at once (a crash, not a shutdown) and `restart()` brings it back on the same storage and port.
 * Tokens come from scripts/token.mjs, the code behind `npm run token`, signed with the .dev.vars secret that
 * `npm start` also gives the server.
 */
import { type ChildProcess, execFile, spawn } from "node:child_process";
import { closeSync, existsSync, mkdirSync, openSync, readdirSync, readFileSync } from "node:fs";
import { createServer } from "node:net";
import { dirname, join } from "node:path";
import { promisify } from "node:util";

const root = join(import.meta.dirname, "../..");
const run = promisify(execFile);
const READY_TIMEOUT_MS = 120_000;
const GONE_TIMEOUT_MS = 30_000;

export interface BotplaneOptions {
  /** Storage for D1, Durable Objects, R2 and the queues; survives kill() and restart(). */
  persistDir: string;
  /** Defaults to a free port; kept across restarts. */
  port?: number;
  /** Extra Worker vars, passed as `--var NAME:VALUE`. */
  vars?: Record<string, string>;
}

export interface BotplaneServer {
  readonly origin: string;
  readonly port: number;
  /** Where the server's stdout and stderr go (appended across restarts). */
  readonly logPath: string;
  /** SIGKILL to the whole process group, then waits until the port is closed. Idempotent. */
  kill(): Promise<void>;
  /** kill(), then start again on the same storage and port and wait for /healthz. */
  restart(): Promise<void>;
  /** The last lines of the server's log, for failure messages. */
  logTail(lines?: number): string;
}

/** A TCP port nobody listens on right now. */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.unref();
    probe.once("error", reject);
    probe.listen(0, "127.0.0.1", () => {
      const address = probe.address();
      const port = typeof address === "object" && address ? address.port : 0;
      probe.close(() => (port ? resolve(port) : reject(new Error("no port assigned"))));
    });
  });
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

async function answers(url: string): Promise<number | undefined> {
  try {
    const res = await fetch(url, { signal: AbortSignal.timeout(2_000) });
    await res.body?.cancel();
    return res.status;
  } catch {
    return undefined;
  }
}

/**
 * Live (not zombie) processes of a process group, from /proc; undefined where there is no /proc (macOS),
 * where the port check in kill() has to do.
 */
function liveGroupMembers(pgid: number): number[] | undefined {
  if (!existsSync("/proc/self/stat")) return undefined;
  const members: number[] = [];
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    let stat: string;
    try {
      stat = readFileSync(`/proc/${entry}/stat`, "utf8");
    } catch {
      continue; // exited while we looked
    }
    // pid (comm) state ppid pgrp ...: comm may hold spaces, so split after its closing parenthesis.
    const [state, , pgrp] = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    if (Number(pgrp) === pgid && state !== "Z" && state !== "X") members.push(Number(entry));
  }
  return members;
}

/** Starts botplane and resolves once `/healthz` answers 200. */
export async function startBotplane(options: BotplaneOptions): Promise<BotplaneServer> {
  const port = options.port ?? (await freePort());
  const origin = `http://127.0.0.1:${port}`;
  mkdirSync(options.persistDir, { recursive: true });
  const logPath = `${options.persistDir}.log`;
  mkdirSync(dirname(logPath), { recursive: true });
  const vars = Object.entries(options.vars ?? {}).flatMap(([name, value]) => ["--var", `${name}:${value}`]);
  let child: ChildProcess | undefined;
  let exited: Promise<void> = Promise.resolve();

  function logTail(lines = 40): string {
    try {
      return readFileSync(logPath, "utf8").split("\n").slice(-lines).join("\n");
    } catch {
      return "(no log)";
    }
  }

  async function launch(): Promise<void> {
    // Another wrangler dev may hold the default inspector port 9229; each server gets its own.
    const inspectorPort = await freePort();
    const log = openSync(logPath, "a");
    const args = ["scripts/start.mjs", "--port", String(port), "--inspector-port", String(inspectorPort)];
    args.push("--persist-to", options.persistDir, ...vars);
    const proc = spawn(process.execPath, args, {
      cwd: root,
      detached: true, // its own process group, so one signal reaches wrangler's children too
      stdio: ["ignore", log, log],
      env: { ...process.env, WRANGLER_SEND_METRICS: "false", NO_COLOR: "1" },
    });
    closeSync(log);
    child = proc;
    // Should the test process die without its afterAll, the server must not outlive it.
    const orphanGuard = (): void => {
      try {
        if (proc.pid) process.kill(-proc.pid, "SIGKILL");
      } catch {
        // Already gone.
      }
    };
    process.once("exit", orphanGuard);
    void new Promise((resolve) => proc.once("exit", resolve)).then(() => process.off("exit", orphanGuard));
    let hasExited = false;
    exited = new Promise((resolve) => proc.once("exit", () => resolve()));
    void exited.then(() => (hasExited = true));
    const deadline = Date.now() + READY_TIMEOUT_MS;
    while (Date.now() < deadline) {
      if (hasExited) throw new Error(`botplane exited before it was ready; log ${logPath}:\n${logTail()}`);
      if ((await answers(`${origin}/healthz`)) === 200) return;
      await sleep(250);
    }
    await kill();
    throw new Error(`botplane not ready on ${origin} after ${READY_TIMEOUT_MS} ms; log ${logPath}:\n${logTail()}`);
  }

  async function kill(): Promise<void> {
    const proc = child;
    child = undefined;
    if (!proc?.pid) return;
    try {
      process.kill(-proc.pid, "SIGKILL");
    } catch {
      // The group is already gone.
    }
    await exited;
    // wrangler's children (workerd, esbuild) are grandchildren: wait until none is left and nothing serves the
    // port any more, so a restart can bind it and no orphan outlives the test.
    const deadline = Date.now() + GONE_TIMEOUT_MS;
    for (;;) {
      const left = liveGroupMembers(proc.pid) ?? [];
      const serving = (await answers(`${origin}/healthz`)) !== undefined;
      if (left.length === 0 && !serving) return;
      if (Date.now() > deadline)
        throw new Error(
          `after SIGKILL: processes ${left.join(", ") || "none"} left, port ${serving ? "open" : "closed"}`,
        );
      await sleep(100);
    }
  }

  await launch();
  return {
    origin,
    port,
    logPath,
    kill,
    async restart() {
      await kill();
      await launch();
    },
    logTail,
  };
}

/** A development JWT from scripts/token.mjs (`npm run token -- --sub SUB --scopes "..."`). */
export async function mintToken(sub: string, scopes: readonly string[]): Promise<string> {
  const { stdout } = await run(process.execPath, ["scripts/token.mjs", "--sub", sub, "--scopes", scopes.join(" ")], {
    cwd: root,
  });
  const token = stdout.trim().split("\n").pop() ?? "";
  if (!/^[\w-]+\.[\w-]+\.[\w-]+$/.test(token)) throw new Error(`scripts/token.mjs printed no token: ${stdout}`);
  return token;
}
