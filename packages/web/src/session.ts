import type { Entity, User } from "@latchkey/sdk";
import { createContext, useContext } from "react";

export interface Session {
  user: User | null;
  /** After sign-in, setup or accepting an invitation. */
  signedIn: (user: User, csrfToken: string) => void;
  signOut: () => Promise<void>;
}

export const SessionContext = createContext<Session>({ user: null, signedIn: () => undefined, signOut: () => Promise.resolve() });

/** The signed-in person, and sign-in/out. */
export function useSession(): Session {
  return useContext(SessionContext);
}

/** The settings path of a team or organisation. */
export function settingsPath(entity: Entity, rest = ""): string {
  return `/${entity.type === "team" ? "teams" : "orgs"}/${encodeURIComponent(entity.id)}/settings${rest}`;
}

/** Where `next=` may send someone after sign-in: only a page of this console, never another site. */
export function safeNext(next: string | null, origin = window.location.origin): string {
  if (!next?.startsWith("/")) return "/";
  try {
    // The URL parser decides, as the browser will: `//evil.example` and `/\evil.example` name other hosts.
    const url = new URL(next, origin);
    // Never back to a sign-in, setup or invitation page: that would be a loop.
    if (url.origin !== origin || ["/sign-in", "/setup", "/invite"].includes(url.pathname)) return "/";
    return url.pathname + url.search;
  } catch {
    return "/";
  }
}
