/** One Server-Sent Event: its id, type and data (API.md "Event stream for verifiers in other processes"). */
export interface SseFrame {
  id: string | undefined;
  event: string;
  data: string;
}

/** Bytes one frame may take: a stream that sends more without a blank line is not Latchkey's (the reader stops). */
export const MAX_FRAME_BYTES = 64 * 1024;

/**
 * Splits a text/event-stream body into frames. A frame is delivered only once its blank line arrived: a stream cut
 * mid-event delivers nothing of that event. Comment lines (heartbeats) call `onComment`.
 */
export async function readSse(body: ReadableStream<Uint8Array>, onFrame: (frame: SseFrame) => void, onComment: () => void): Promise<void> {
  const reader = body.getReader();
  const decoder = new TextDecoder();
  let buffer = "";
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) return;
      buffer += decoder.decode(value, { stream: true }).replace(/\r\n?/g, "\n");
      let end: number;
      while ((end = buffer.indexOf("\n\n")) >= 0) {
        const block = buffer.slice(0, end);
        buffer = buffer.slice(end + 2);
        let id: string | undefined;
        let event = "message";
        const data: string[] = [];
        let any = false;
        for (const line of block.split("\n")) {
          if (line.startsWith(":")) {
            onComment();
            continue;
          }
          const colon = line.indexOf(":");
          const field = colon < 0 ? line : line.slice(0, colon);
          const value = colon < 0 ? "" : line.slice(colon + 1).replace(/^ /, "");
          if (field === "id") id = value;
          else if (field === "event") event = value;
          else if (field === "data") data.push(value);
          else continue;
          any = true;
        }
        if (any && (data.length > 0 || event !== "message")) onFrame({ id, event, data: data.join("\n") });
      }
      if (buffer.length > MAX_FRAME_BYTES) throw new Error("event stream frame too large");
    }
  } finally {
    reader.releaseLock();
  }
}
