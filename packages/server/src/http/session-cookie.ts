import type { FastifyReply } from "fastify";
import type { Config } from "../config.js";

/** The console session cookie's name. */
export const SESSION_COOKIE = "latchkey_session";

/** Sets the session cookie: HttpOnly, SameSite=Lax, Secure when the public URL is https. */
export function setSessionCookie(reply: FastifyReply, config: Config, sessionId: string): void {
  void reply.setCookie(SESSION_COOKIE, sessionId, {
    httpOnly: true,
    sameSite: "lax",
    secure: config.publicUrl.startsWith("https:"),
    path: "/",
    maxAge: Math.floor(config.session.maxMs / 1000),
  });
}

/** Clears the session cookie. */
export function clearSessionCookie(reply: FastifyReply, config: Config): void {
  void reply.clearCookie(SESSION_COOKIE, { httpOnly: true, sameSite: "lax", secure: config.publicUrl.startsWith("https:"), path: "/" });
}
