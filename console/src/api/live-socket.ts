/**
 * ChainBot's live sockets (an execution's `/live`, an entanglement's `/ws`) from the browser. A WebSocket
 * cannot carry an Authorization header, so the credential rides as the `bearer.<token>` subprotocol beside
 * `botplane.chainbot` (the one the server echoes): never in the URL, where it would reach logs and history.
 */
import { useEffect, useRef, useState } from "preact/hooks";
import { credential } from "./session";

export const LIVE_SUBPROTOCOL = "botplane.chainbot";

/**
 * Opens `path` (an API path, query included) while the component is mounted and `path` is not null, calling
 * onFrame with each JSON frame; answers whether the socket is open. A socket dropped other than by a normal
 * close reconnects after a second, up to five times in a row (a refused one would otherwise retry forever).
 */
export function useLiveSocket(path: string | null, onFrame: (frame: Record<string, unknown>) => void): boolean {
  const [open, setOpen] = useState(false);
  const handler = useRef(onFrame);
  handler.current = onFrame;
  useEffect(() => {
    if (path === null) return;
    let stopped = false;
    let socket: WebSocket | null = null;
    let retry: ReturnType<typeof setTimeout> | undefined;
    let failures = 0;
    const connect = () => {
      const secret = credential();
      if (!secret || stopped) return;
      const url = new URL(path, location.origin);
      url.protocol = url.protocol === "https:" ? "wss:" : "ws:";
      const ws = new WebSocket(url, [LIVE_SUBPROTOCOL, `bearer.${secret}`]);
      socket = ws;
      ws.onopen = () => {
        failures = 0;
        setOpen(true);
      };
      ws.onmessage = (m) => {
        if (typeof m.data !== "string" || m.data === "pong") return;
        try {
          handler.current(JSON.parse(m.data) as Record<string, unknown>);
        } catch {
          // Not JSON: no frame of ours; ignore it rather than break the page.
        }
      };
      ws.onclose = (e) => {
        setOpen(false);
        if (!stopped && e.code !== 1000 && ++failures <= 5) retry = setTimeout(connect, 1_000);
      };
    };
    connect();
    return () => {
      stopped = true;
      clearTimeout(retry);
      socket?.close(1000, "page left");
      setOpen(false);
    };
  }, [path]);
  return open;
}
