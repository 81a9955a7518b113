/**
 * The real tools over the memory store: read/update the business profile and stage, list/create/update
 * goals and checklist items (with progress), read summaries. Reading needs trust mode 1; writing needs 2.
 */
import { z } from "zod";
import { SUMMARY_TYPES, WORKSPACE_STAGES } from "../../platform/db/schema";
import type { MemoryStore } from "../memory-store";
import { defineTool, type Tool } from "./registry";

const date = z.string().regex(/^\d{4}-\d{2}-\d{2}$/, "a date as YYYY-MM-DD");
const id = z.string().min(1).max(64);

export function memoryTools(store: MemoryStore): Tool[] {
  return [
    defineTool({
      name: "get_business_profile",
      description: "Read the founder's business profile: name, stage (idea, launch, growth) and profile facts",
      minTrustMode: 1,
      input: z.object({}),
      handler: async () => (await store.profile()) ?? { error: "not_found", message: "workspace not found" },
    }),
    defineTool({
      name: "list_goals",
      description: "List the workspace's goals with target and current values",
      minTrustMode: 1,
      input: z.object({}),
      handler: async () => ({ goals: await store.listGoals() }),
    }),
    defineTool({
      name: "list_checklists",
      description: "List the workspace's checklists with their items and progress",
      minTrustMode: 1,
      input: z.object({}),
      handler: async () => ({ checklists: await store.listChecklists() }),
    }),
    defineTool({
      name: "read_summaries",
      description: "Read the rolling summaries (weekly, blockers, plan, decisions), newest first",
      minTrustMode: 1,
      input: z.object({ type: z.enum(SUMMARY_TYPES).optional() }),
      handler: async (a) => ({ summaries: await store.readSummaries(a.type) }),
    }),
    defineTool({
      name: "update_business_profile",
      description: "Update the business name, stage or profile facts (merged into the existing profile)",
      minTrustMode: 2,
      input: z.object({
        name: z.string().min(1).max(255).optional(),
        stage: z.enum(WORKSPACE_STAGES).optional(),
        profile: z.record(z.string(), z.unknown()).optional(),
      }),
      handler: async (a) => (await store.updateProfile(a)) ?? { error: "not_found", message: "workspace not found" },
    }),
    defineTool({
      name: "create_goal",
      description: "Create a goal with an optional target, current value, unit and deadline",
      minTrustMode: 2,
      input: z.object({
        title: z.string().min(1).max(255),
        target_value: z.number().optional(),
        current_value: z.number().optional(),
        unit: z.string().max(50).optional(),
        deadline: date.optional(),
      }),
      handler: async (a) => ({ goal: await store.createGoal(a) }),
    }),
    defineTool({
      name: "update_goal",
      description: "Update a goal's progress (current_value) or its other fields",
      minTrustMode: 2,
      input: z.object({
        id,
        title: z.string().min(1).max(255).optional(),
        target_value: z.number().optional(),
        current_value: z.number().optional(),
        unit: z.string().max(50).optional(),
        deadline: date.optional(),
      }),
      handler: async ({ id: goalId, ...change }) =>
        (await store.updateGoal(goalId, change)) ?? { error: "not_found", message: "no such goal" },
    }),
    defineTool({
      name: "create_checklist",
      description: "Create a checklist of items (all open) with a priority and due date",
      minTrustMode: 2,
      input: z.object({
        title: z.string().min(1).max(255),
        items: z.array(z.string().min(1).max(500)).max(100),
        priority: z.number().int().optional(),
        due_date: date.optional(),
      }),
      handler: async (a) => ({ checklist: await store.createChecklist(a) }),
    }),
    defineTool({
      name: "update_checklist_item",
      description: "Mark one checklist item (by its 0-based index) done or not done; progress is recomputed",
      minTrustMode: 2,
      input: z.object({ id, index: z.number().int().min(0), done: z.boolean() }),
      handler: async (a) =>
        (await store.setChecklistItem(a.id, a.index, a.done)) ?? { error: "not_found", message: "no such item" },
    }),
  ];
}
