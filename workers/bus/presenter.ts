/**
 * How events look on the wire (history and one-event reads): the envelope plus the seed EventType its subject
 * maps to.
 */
import type { BusEvent } from "../platform/bus/envelope";
import { eventTypeOf } from "./subjects";

export function presentEvent(event: BusEvent) {
  return { ...event, event_type: eventTypeOf(event.type) ?? null };
}
