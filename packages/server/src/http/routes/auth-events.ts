import { AuthEvent } from "@latchkey/core";
import type { FastifyInstance } from "fastify";
import type { ServerResponse } from "node:http";
import type { Principal } from "../../access/principal.js";
import { assertVerifies, verifiesTokensOf } from "../../access/token-reach.js";
import type { Services } from "../../services/app-services.js";
import type { StreamedEvent } from "../../services/auth-events.js";
import { SENT, type Router } from "../route.js";

/** Bytes a connection may have waiting to be sent: a consumer that falls further behind is dropped (it resumes). */
export const MAX_PENDING_BYTES = 64 * 1024;
/** A `Last-Event-ID` longer than this is not one of ours. */
const MAX_ID_LENGTH = 64;

const frame = (e: StreamedEvent): string => `id: ${e.id}\nevent: ${e.event.type}\ndata: ${JSON.stringify(e.event)}\n\n`;

/**
 * Whether an event ends the stream itself: the caller's own token or role changed, or the caller (a console session)
 * left a team or organisation (its reach is re-read on reconnect). A token whose creator left keeps its reach.
 */
const touchesCaller = (caller: Principal, e: StreamedEvent): boolean => {
  const ev = e.event;
  if (ev.type === "member.removed") return caller.kind === "session" && ev.userId === caller.userId;
  if (ev.tokenId !== undefined && ev.tokenId === caller.tokenId) return true;
  const scope = caller.scope;
  return ev.roleId !== undefined && ev.roleId === caller.token?.roleId && ev.entityId === scope?.entityId;
};

/** `GET /v1/auth/events`: Server-Sent Events for verifiers in other processes (API.md, same name). */
export function authEventRoutes(app: FastifyInstance, router: Router, { authEvents, config }: Services): void {
  const open = new Set<ServerResponse>();
  // Streams never end by themselves: closing the server ends them (the verifiers reconnect elsewhere).
  app.addHook("preClose", (done) => {
    for (const raw of open) raw.destroy();
    done();
  });

  router.add({
    method: "GET",
    url: "/v1/auth/events",
    summary:
      "Server-Sent Events: what a verifier must drop from its cache (token.revoked, token.keys, role.updated, role.deleted, api.updated, signing-key.deleted, member.removed, reset); Last-Event-ID resumes",
    tags: ["auth"],
    permission: { none: "each event names its team or organisation: token-reach.ts filters them (apis.verify there)" },
    reply: AuthEvent,
    secret: true,
    handler: ({ principal, request, reply }) => {
      assertVerifies(principal);
      const header = request.headers["last-event-id"];
      const lastId = typeof header === "string" && header.length <= MAX_ID_LENGTH ? header : undefined;
      const raw = reply.raw;
      reply.hijack();
      raw.writeHead(200, {
        "content-type": "text/event-stream; charset=utf-8",
        "cache-control": "no-store",
        connection: "keep-alive",
        "x-accel-buffering": "no",
        "x-request-id": request.id,
      });
      // Each event goes out as it is written (no Nagle delay behind the previous one).
      raw.socket?.setNoDelay(true);
      open.add(raw);
      const visible = (e: StreamedEvent) => e.owner === null || verifiesTokensOf(principal, e.owner);
      const send = (e: StreamedEvent): void => {
        if (!visible(e)) return;
        raw.write(frame(e));
        if (touchesCaller(principal, e)) raw.end();
        else if (raw.writableLength > MAX_PENDING_BYTES) raw.destroy();
      };
      const unsubscribe = authEvents.subscribe(send);
      const heartbeat = setInterval(() => {
        raw.write(": heartbeat\n\n");
        if (raw.writableLength > MAX_PENDING_BYTES) raw.destroy();
      }, config.eventsHeartbeatMs);
      heartbeat.unref();
      raw.on("close", () => {
        clearInterval(heartbeat);
        unsubscribe();
        open.delete(raw);
      });
      raw.write("retry: 1000\n: connected\n\n");
      if (header !== undefined) {
        const missed = lastId === undefined ? null : authEvents.since(lastId);
        if (missed === null) raw.write(frame({ id: authEvents.lastId(), seq: 0, event: { type: "reset" }, owner: null }));
        else for (const e of missed) send(e);
      }
      return Promise.resolve(SENT);
    },
  });
}
