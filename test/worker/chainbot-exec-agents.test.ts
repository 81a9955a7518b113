/**
 * The agent_task seam through the Worker's entry: a task naming a spawned agent goes to the runner the
 * agents registry provides (`spawnedAgents`), with the rendered task, input and attempt; without a runner,
 * a named agent fails the step (not retried) instead of silently running elsewhere.
 */
import { describe, it } from "vitest";
import { spawnedAgents, type AgentTaskRequest } from "../../durable-objects/workflow-execution-contract";
import { createWorkflow, execute, step, waitFor } from "./chainbot-exec-support";

describe("agent_task steps", () => {
  it("should fail a task for a named agent at once while no agent runner is provided", async ({ expect }) => {
    const wf = await createWorkflow({
      name: "named",
      steps: [{ id: "a", type: "agent_task", agent_id: "agent-1", task: "hello" }],
    });
    const done = await waitFor(await execute(wf));
    expect(done.status).toBe("failed");
    expect(step(done, "a")).toMatchObject({ attempts: 1, error: { code: "agent_unavailable" } });
  });

  it("should hand a task to the provided spawned-agent runner with the rendered task", async ({ expect }) => {
    const seen: AgentTaskRequest[] = [];
    // The slot cannot be emptied again: this runner declines everything but its own agent, which sends any
    // other task (a later test's) to the ephemeral path exactly as without a runner.
    spawnedAgents.provide({
      runTask(_env, request) {
        if (request.agentId !== "agent-7") return Promise.resolve({ handled: false });
        seen.push(request);
        return Promise.resolve({ handled: true, output: { quality_score: 0.99, by: request.agentId } });
      },
    });
    const wf = await createWorkflow({
      name: "spawned",
      steps: [{ id: "a", type: "agent_task", agent_id: "agent-7", task: "Rate ${input.doc}", config: { k: 1 } }],
    });
    const id = await execute(wf, { doc: "report.pdf" });
    const done = await waitFor(id);
    expect(done.status).toBe("completed");
    expect(step(done, "a").output).toEqual({ quality_score: 0.99, by: "agent-7" });
    expect(seen).toHaveLength(1);
    expect(seen[0]).toMatchObject({
      agentId: "agent-7",
      task: "Rate report.pdf",
      input: { doc: "report.pdf" },
      config: { k: 1 },
      executionId: id,
      stepKey: "a",
      attempt: 1,
    });
  });
});
