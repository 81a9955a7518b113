/**
 * Turns one text frame from the hub into a protocol message, for both transports: the runtime's `pong` answer
 * is skipped, anything else that does not parse is reported and dropped (the connection stays up).
 */
import { PONG, hubMessageSchema } from "../../../durable-objects/protocol.js";
import type { TransportOptions } from "./transport.js";

export function deliverFrame(value: unknown, options: Pick<TransportOptions, "onMessage" | "onInvalid">): void {
  const parsed = hubMessageSchema.safeParse(value);
  if (parsed.success) options.onMessage(parsed.data);
  else options.onInvalid(JSON.stringify(value).slice(0, 500), parsed.error.message.slice(0, 500));
}

export function deliverText(text: string, options: Pick<TransportOptions, "onMessage" | "onInvalid">): void {
  if (text === PONG) return;
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    options.onInvalid(text.slice(0, 500), "not JSON");
    return;
  }
  deliverFrame(value, options);
}
