/**
 * Runs the hub's commands on the device, each id at most once: validates a command's args with zod per
 * command name, runs it through the injected executors (GPIO, telemetry, Ollama, restart — implemented
 * elsewhere in the agent), records the outcome in the ledger and returns the ack. A command the hub re-sends
 * (reconnect, redelivery, or after this process restarted) is answered from the ledger without running again.
 */
import { z } from "zod";
import { GpioError } from "../gpio/backend.js";
import { INTERRUPTED } from "./ledger.js";
import type { CommandLedger, CommandOutcome } from "./ledger.js";

/** BCM GPIO numbers on a Raspberry Pi's header; the GPIO backend further refuses pins outside its configured set. */
const pinSchema = z.number().int().min(0).max(53);

export const commandArgsSchemas = {
  "gpio.write": z.strictObject({
    pin: pinSchema,
    value: z.union([z.literal(0), z.literal(1), z.boolean()]).transform((v) => (v === true || v === 1 ? 1 : 0)),
  }),
  "gpio.read": z.strictObject({ pin: pinSchema }),
  "telemetry.read": z.strictObject({}),
  "llm.models": z.strictObject({}),
  "agent.restart": z.strictObject({}),
} as const;

export type CommandName = keyof typeof commandArgsSchemas;
export const COMMAND_NAMES = Object.keys(commandArgsSchemas) as CommandName[];

export const commandSchema = z.object({
  id: z.string().min(1).max(128),
  seq: z.number().int().positive(),
  name: z.string().min(1).max(64),
  args: z.unknown().optional(),
});
export type Command = z.infer<typeof commandSchema>;

/** The device's answer to one command; the transport wraps it in its own message. */
export type CommandAck = { id: string; seq: number } & CommandOutcome;

/** What the dispatcher needs from the rest of the agent (real GPIO/telemetry/Ollama code, or fakes in tests). */
export interface CommandExecutors {
  gpioWrite(pin: number, value: 0 | 1): Promise<void>;
  gpioRead(pin: number): Promise<0 | 1>;
  readTelemetry(): Promise<Record<string, unknown>>;
  listModels(): Promise<unknown>;
  /**
   * Schedules a restart after the ack has gone out and returns at once; the ledger already holds the id by
   * then, so the re-sent command after the restart is answered, not run again.
   */
  scheduleRestart(): Promise<void>;
}

function hasName(name: string): name is CommandName {
  return Object.hasOwn(commandArgsSchemas, name);
}

function rejected(code: string, message: string, details?: unknown): CommandOutcome {
  return { status: "rejected", error: { code, message, ...(details === undefined ? {} : { details }) } };
}

/** Validates and runs one command; never throws for a command's own failure (that is a `failed` outcome). */
async function execute(name: string, args: unknown, executors: CommandExecutors): Promise<CommandOutcome> {
  if (!hasName(name)) {
    return rejected("unknown_command", `unknown command "${name}"; known: ${COMMAND_NAMES.join(", ")}`, {
      field: "name",
    });
  }
  const parsed = commandArgsSchemas[name].safeParse(args ?? {});
  if (!parsed.success) {
    const issues = parsed.error.issues.map((i) => ({ field: i.path.join(".") || "args", message: i.message }));
    const message = issues.map((i) => `${i.field}: ${i.message}`).join("; ");
    return rejected("invalid_args", `${name}: ${message}`, { issues });
  }
  try {
    const result = await run(name, parsed.data, executors);
    return { status: "succeeded", result };
  } catch (err) {
    // The device refused before touching anything (pin outside the configured set, GPIO disabled): rejected.
    if (err instanceof GpioError && err.code !== "gpio_failed") return rejected(err.code, err.message);
    return {
      status: "failed",
      error: { code: "execution_failed", message: (err instanceof Error ? err.message : String(err)).slice(0, 2000) },
    };
  }
}

async function run(name: CommandName, args: object, executors: CommandExecutors): Promise<unknown> {
  switch (name) {
    case "gpio.write": {
      const { pin, value } = commandArgsSchemas["gpio.write"].parse(args);
      await executors.gpioWrite(pin, value);
      return { pin, value };
    }
    case "gpio.read": {
      const { pin } = commandArgsSchemas["gpio.read"].parse(args);
      return { pin, value: await executors.gpioRead(pin) };
    }
    case "telemetry.read":
      return executors.readTelemetry();
    case "llm.models":
      return executors.listModels();
    case "agent.restart":
      await executors.scheduleRestart();
      return { restarting: true };
  }
}

export class CommandDispatcher {
  /** Commands running now, so a copy re-sent while the first is still running waits for the same outcome. */
  private readonly inFlight = new Map<string, Promise<CommandOutcome>>();

  constructor(
    private readonly ledger: CommandLedger,
    private readonly executors: CommandExecutors,
  ) {}

  /** Handles one command frame (validated here: it comes off the wire) and resolves with its ack. */
  async dispatch(frame: unknown): Promise<CommandAck> {
    const command = commandSchema.parse(frame);
    const outcome = await this.outcomeOf(command);
    return { id: command.id, seq: command.seq, ...outcome };
  }

  private outcomeOf(command: Command): Promise<CommandOutcome> {
    const running = this.inFlight.get(command.id);
    if (running) return running;
    const recorded = this.ledger.get(command.id);
    if (recorded) return Promise.resolve(recorded.outcome ?? INTERRUPTED);
    const promise = this.runOnce(command).finally(() => this.inFlight.delete(command.id));
    this.inFlight.set(command.id, promise);
    return promise;
  }

  private async runOnce(command: Command): Promise<CommandOutcome> {
    await this.ledger.start(command.id, command.seq, command.name);
    const outcome = await execute(command.name, command.args, this.executors);
    await this.ledger.finish(command.id, outcome);
    return outcome;
  }
}
