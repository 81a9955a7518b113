/**
 * `jimbot_resource_usage_ratio{resource_type, component}` for `/metrics`: each component's granted share of
 * each resource type's capacity, read from the coordinator at scrape time.
 */
import type { Env } from "../platform/env";
import { resourceUsage } from "../platform/metrics/catalog";
import type { GaugeSample } from "../platform/metrics/exposition";
import { resourceCoordinator } from "../../durable-objects/resource-coordinator-client";
import type { ResourceType } from "../../durable-objects/resource-coordinator-model";

export async function resourceGauges(env: Env): Promise<GaugeSample[]> {
  const status = await resourceCoordinator(env).status();
  const capacity = new Map(status.resources.map((r) => [r.type, r.capacity]));
  const held = new Map<string, { type: ResourceType; component: string; amount: number }>();
  for (const g of status.grants) {
    const key = `${g.type}\u0000${g.component}`;
    const cell = held.get(key) ?? { type: g.type, component: g.component, amount: 0 };
    cell.amount += g.amount;
    held.set(key, cell);
  }
  return [...held.values()].map((h) => ({
    family: resourceUsage,
    labels: { resource_type: h.type, component: h.component },
    value: h.amount / (capacity.get(h.type) ?? 1),
  }));
}
