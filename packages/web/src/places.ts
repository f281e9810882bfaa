import type { Org, Team } from "@latchkey/sdk";
import { createContext, useContext } from "react";
import type { Loaded } from "./ui";

/** Every team and organisation the person reaches: the switcher's list and the start page's. */
export type Places = Loaded<[Team[], Org[]]>;

const NONE: Places = { data: undefined, error: undefined, loading: true, reload: () => undefined };
export const PlacesContext = createContext<Places>(NONE);

/** The list of places, with `reload()` for a page that made, renamed or deleted one (the switcher follows). */
export function usePlaces(): Places {
  return useContext(PlacesContext);
}
