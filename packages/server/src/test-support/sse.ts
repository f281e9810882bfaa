/** One Server-Sent Event as a test reads it. */
export interface SseEvent {
  id?: string;
  event?: string;
  data?: string;
}

/** A streaming GET read frame by frame (real HTTP): events, comment lines, and whether the server ended it. */
export interface SseStream {
  status: number;
  events: SseEvent[];
  comments: string[];
  ended: boolean;
  /** Resolves with the first event (from the start of the stream) that matches, or rejects after `timeoutMs`. */
  next(match: (e: SseEvent) => boolean, timeoutMs?: number): Promise<SseEvent>;
  close(): void;
}

export async function openSse(url: string, headers: Record<string, string>): Promise<SseStream> {
  const abort = new AbortController();
  const res = await fetch(url, { headers, signal: abort.signal });
  const stream: SseStream = {
    status: res.status,
    events: [],
    comments: [],
    ended: false,
    async next(match, timeoutMs = 3000) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const found = stream.events.find(match);
        if (found) return found;
        if (Date.now() > deadline || stream.ended) throw new Error(`no matching event; got ${JSON.stringify(stream.events)}`);
        await new Promise((r) => setTimeout(r, 5));
      }
    },
    close: () => abort.abort(),
  };
  if (!res.ok || !res.body) {
    await res.body?.cancel();
    stream.ended = true;
    return stream;
  }
  const body = res.body as unknown as AsyncIterable<Uint8Array>;
  const decoder = new TextDecoder();
  let buffer = "";
  void (async () => {
    try {
      for await (const value of body) {
        buffer += decoder.decode(value, { stream: true });
        let end: number;
        while ((end = buffer.indexOf("\n\n")) >= 0) {
          const block = buffer.slice(0, end);
          buffer = buffer.slice(end + 2);
          const e: SseEvent = {};
          for (const line of block.split("\n")) {
            if (line.startsWith(":")) stream.comments.push(line.slice(1).trim());
            const colon = line.indexOf(": ");
            if (colon < 0) continue;
            const key = line.slice(0, colon);
            if (key === "id" || key === "event" || key === "data") e[key] = line.slice(colon + 2);
          }
          if (e.event !== undefined) stream.events.push(e);
        }
      }
    } catch {
      // aborted by the test, or cut by the server
    }
    stream.ended = true;
  })();
  return stream;
}
