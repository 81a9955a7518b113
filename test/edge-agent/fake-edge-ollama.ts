/**
 * A small fake Ollama for the agent's session tests: `/api/chat` answers a model's scripted words as NDJSON
 * (the last object `done: true`), a model named `hang` sends one object and then holds the stream open, and
 * `/api/tags` and `/api/ps` list models. It records each chat request and whether the client closed it before
 * the answer ended, so a test can see that a cancel reached the upstream.
 */
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";

export interface ChatRecord {
  model: string;
  content: string;
  /** True once the client went away before the answer was complete. */
  abandoned: boolean;
}

export interface FakeEdgeOllama {
  url: string;
  chats: ChatRecord[];
  close(): Promise<void>;
}

export async function startFakeEdgeOllama(): Promise<FakeEdgeOllama> {
  const chats: ChatRecord[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      if (req.url === "/api/tags") {
        res.writeHead(200, { "content-type": "application/json" });
        res.end(JSON.stringify({ models: [{ name: "llama3.2" }, { name: "hang" }] }));
        return;
      }
      if (req.url === "/api/ps") {
        res.writeHead(200, { "content-type": "application/json" });
        res.end(JSON.stringify({ models: [{ name: "llama3.2" }] }));
        return;
      }
      if (req.url !== "/api/chat") {
        res.writeHead(404).end("404 page not found");
        return;
      }
      const body = JSON.parse(Buffer.concat(chunks).toString("utf8")) as {
        model: string;
        messages: { content: string }[];
      };
      const record: ChatRecord = { model: body.model, content: body.messages.at(-1)?.content ?? "", abandoned: false };
      chats.push(record);
      let complete = false;
      res.once("close", () => {
        if (!complete) record.abandoned = true;
      });
      res.writeHead(200, { "content-type": "application/x-ndjson" });
      const line = (content: string, done: boolean) =>
        `${JSON.stringify({ model: body.model, message: { role: "assistant", content }, done })}\n`;
      if (body.model === "hang") {
        res.write(line("thinking", false));
        return;
      }
      for (const word of record.content.split(" ")) res.write(line(word, false));
      complete = true;
      res.end(line("", true));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    chats,
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
