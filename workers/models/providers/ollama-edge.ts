/**
 * Ollama on an edge device (`edge:<device-id>`): the native body becomes a job on the device's EdgeHub, and
 * the answer objects come back through the hub's job stream as the device sends them. An offline device
 * fails the submit at once ("unavailable": next tier); the hub ends a job past its budget with a timeout;
 * a caller that aborts or stops reading cancels the job on the device.
 */
import { edgeHub } from "../../../durable-objects/edge-hub-client";
import { jobStreamLineSchema, type JobStreamLine } from "../../../durable-objects/protocol";
import type { Env } from "../../platform/env";
import type { Failure } from "../../platform/errors";
import { ProviderError } from "../types";
import { abortError, classifyHttpError, errorFromFailure } from "./http-errors";
import { ndjson, NdjsonError } from "./ndjson";
import type { OllamaTransport } from "./ollama-transport";

function submitFailure(provider: string, deviceId: string, failure: Failure): ProviderError {
  if (failure.code === "device_offline")
    return new ProviderError("unavailable", `${provider}: edge device '${deviceId}' is offline`, 503);
  if (failure.status === 400) return new ProviderError("bad_request", `${provider}: ${failure.message}`, 400);
  return new ProviderError("server", `${provider}: ${failure.message}`, failure.status);
}

function jobFailure(
  provider: string,
  deviceId: string,
  line: Extract<JobStreamLine, { type: "error" }>,
): ProviderError {
  const where = `${provider}: edge device '${deviceId}'`;
  switch (line.reason) {
    case "timeout":
      return new ProviderError("timeout", `${where}: ${line.message}`);
    case "offline":
      return new ProviderError("unavailable", `${where}: ${line.message}`);
    case "device_error":
      // The device relays Ollama's own status when there was one: 404 is a model not pulled on that device.
      if (line.status === 404) return new ProviderError("unavailable", `${where}: ${line.message}`, 404);
      if (line.status !== undefined)
        return classifyHttpError(
          `${provider}@${deviceId}`,
          line.status,
          new Headers(),
          JSON.stringify({ error: line.message }),
        );
      return new ProviderError("stream", `${where}: ${line.message}`);
    default:
      return new ProviderError("stream", `${where}: ${line.message}`);
  }
}

function isFinal(data: Record<string, unknown>): boolean {
  return data.done === true;
}

export function edgeTransport(provider: string, env: Env, deviceId: string, deadlineMs: number): OllamaTransport {
  return {
    alwaysStreams: true,
    async *post(path, body, signal) {
      if (signal.aborted) throw abortError(provider, signal);
      const hub = edgeHub(env, deviceId);
      let jobId: string;
      let stream: ReadableStream<Uint8Array>;
      try {
        const submitted = await hub.runJob({
          kind: path === "/api/chat" ? "llm.chat" : "llm.embed",
          request: body,
          deadlineMs,
        });
        if (!submitted.ok) throw submitFailure(provider, deviceId, submitted);
        jobId = submitted.job_id;
        stream = submitted.stream;
      } catch (err) {
        throw errorFromFailure(provider, err, signal);
      }
      let settled = false;
      try {
        // Aborted while the job was being submitted counts too: ndjson checks the signal before its first read.
        for await (const raw of ndjson(stream, signal)) {
          const line = jobStreamLineSchema.safeParse(raw);
          if (!line.success) throw new ProviderError("stream", `${provider}: malformed job stream line`);
          if (line.data.type === "done") {
            settled = true;
            return;
          }
          if (line.data.type === "error") {
            settled = true;
            throw jobFailure(provider, deviceId, line.data);
          }
          // Ollama's final chat object ends the job for us even if the caller stops reading right after it.
          if (isFinal(line.data.data)) settled = true;
          yield line.data.data;
        }
        throw new ProviderError(
          "stream",
          `${provider}: the job stream from edge device '${deviceId}' ended without a result`,
        );
      } catch (err) {
        if (err instanceof ProviderError) throw err;
        if (err instanceof NdjsonError) throw new ProviderError("stream", `${provider}: ${err.message}`);
        throw errorFromFailure(provider, err, signal);
      } finally {
        if (!settled) {
          const reason = signal.aborted
            ? "the caller gave up (time budget or client gone)"
            : "the caller stopped reading";
          await hub.cancelJob(jobId, reason).catch(() => undefined);
        }
      }
    },
  };
}
