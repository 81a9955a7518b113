/**
 * The device's messages to its EdgeHub, from the socket or a poll alike: reading a socket frame (JSON, then
 * the protocol's schema, each failure answered with an error frame naming the field) and routing a message to
 * the side of the hub that owns it.
 */
import type { CommandDesk } from "./edge-hub-command-desk";
import type { JobDesk } from "./edge-hub-jobs";
import { errorFrame } from "./edge-hub-socket";
import { deviceMessageSchema, type DeviceMessage } from "./protocol";

export type TelemetryMessage = Extract<DeviceMessage, { type: "telemetry" }>;

/** Where one message goes; `reply` answers on the channel it came by, `refuse` ends that channel. */
export interface MessageRoute {
  expected: string | null;
  reply: (frame: string) => void;
  refuse: () => void;
  jobs: JobDesk;
  commands: CommandDesk;
  hello: (agentVersion: string) => void;
  telemetry: (msg: TelemetryMessage) => void;
}

/** A socket frame as a device message, or the error frame to answer it with. */
export function readSocketMessage(message: string | ArrayBuffer): { msg: DeviceMessage } | { error: string } {
  if (typeof message !== "string") return { error: errorFrame("invalid_message", "binary messages are not accepted") };
  let data: unknown;
  try {
    data = JSON.parse(message);
  } catch {
    return { error: errorFrame("invalid_json", "message is not JSON") };
  }
  const parsed = deviceMessageSchema.safeParse(data);
  if (parsed.success) return { msg: parsed.data };
  const issues = parsed.error.issues.map((i) => ({
    field: ["message", ...i.path.map(String)].join("."),
    message: i.message,
  }));
  const first = `${issues[0]?.field ?? "message"}: ${issues[0]?.message ?? "invalid"}`;
  return { error: errorFrame("invalid_message", first, { issues }) };
}

export function routeMessage(msg: DeviceMessage, route: MessageRoute): void {
  switch (msg.type) {
    case "hello":
      if (msg.device_id !== route.expected) {
        const expected = route.expected ?? "?";
        route.reply(
          errorFrame("device_mismatch", `this connection is for device '${expected}', not '${msg.device_id}'`),
        );
        route.refuse();
        return;
      }
      route.hello(msg.agent_version);
      return;
    case "heartbeat":
      return;
    case "telemetry":
      route.telemetry(msg);
      return;
    case "ack":
    case "chunk":
    case "done":
    case "error":
      route.jobs.handle(msg, route.reply);
      return;
    case "command_result":
      route.commands.result(msg);
      return;
  }
}
