import { isIPv4, isIPv6 } from "node:net";

/** One open login socket's place in the table. */
export interface Slot {
  readonly group: string;
  /** Arrival order in this process: lower is older. */
  readonly seq: number;
  /** When the place frees by itself (the init deadline, then the login's expiry), ms since the epoch. */
  freesAt: number;
  /**
   * Called when a newer login takes this place: the socket ends its login unless it is being approved; settles once
   * that is decided, and never rejects.
   */
  readonly displace: () => Promise<void>;
}

/** The answer to a new socket: its place, or a refusal saying when a place should free. */
export type Admission =
  { admitted: true; slot: Slot; displaced: Promise<void> } | { admitted: false; reason: "address" | "full"; retryAfterMs: number };

/**
 * The group a client address counts in: an IPv4 address alone (IPv4-mapped IPv6 included), an IPv6 address by its
 * /64, because one subscriber usually holds a whole /64 and could otherwise take a place per address.
 */
export function addressGroup(ip: string): string {
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(ip);
  if (mapped?.[1] && isIPv4(mapped[1])) return mapped[1];
  if (!isIPv6(ip)) return ip;
  const [head = "", tail] = ip.toLowerCase().split("%")[0]!.split("::");
  const left = head ? head.split(":") : [];
  const right = tail ? tail.split(":") : [];
  // An embedded IPv4 tail takes two groups, but only the first four groups matter here.
  const missing = tail === undefined ? 0 : 8 - left.length - right.length;
  const groups = [...left, ...Array<string>(Math.max(missing, 0)).fill("0"), ...right];
  return `${groups
    .slice(0, 4)
    .map((g) => g.replace(/^0+(?=.)/, ""))
    .join(":")}::/64`;
}

/**
 * The table of open CLI login sockets of this process, capped in total and per address group. When the table is
 * full, a newcomer takes the place of the oldest socket of the group holding the most, as long as that group holds
 * more than the newcomer's own: whoever fills the table from a few addresses displaces only their own logins, and a
 * person with one waiting login keeps it until every group is down to one (see the README on what many addresses
 * can still do).
 */
export function createLoginSlots(limits: { maxPending: number; maxPerAddress: number }, now: () => number = Date.now) {
  // Insertion order is age order: the first slot of a group is its oldest.
  const groups = new Map<string, Set<Slot>>();
  let total = 0;
  let arrivals = 0;

  const remove = (slot: Slot): boolean => {
    const set = groups.get(slot.group);
    if (!set?.delete(slot)) return false;
    total--;
    if (set.size === 0) groups.delete(slot.group);
    return true;
  };
  const add = (slot: Slot) => {
    const set = groups.get(slot.group) ?? new Set<Slot>();
    set.add(slot);
    groups.set(slot.group, set);
    total++;
  };
  const retryAfter = (slots: Iterable<Slot>): number => {
    let first = Infinity;
    for (const s of slots) first = Math.min(first, s.freesAt);
    return Math.max(first - now(), 0);
  };
  function* all(): Generator<Slot> {
    for (const set of groups.values()) yield* set;
  }
  /** The oldest slot of the largest group; among groups of one size, the one whose oldest slot is oldest. */
  const victim = (): { slot: Slot; size: number } | null => {
    let best: { slot: Slot; size: number } | null = null;
    for (const set of groups.values()) {
      const oldest = set.values().next().value;
      if (!oldest) continue;
      if (!best || set.size > best.size || (set.size === best.size && oldest.seq < best.slot.seq)) {
        best = { slot: oldest, size: set.size };
      }
    }
    return best;
  };

  return {
    /** A place for a new socket from `ip`, whose first deadline is `freesAt`; may displace an older socket. */
    admit(ip: string, freesAt: number, displace: () => Promise<void>): Admission {
      const group = addressGroup(ip);
      const own = groups.get(group);
      if (own && own.size >= limits.maxPerAddress) return { admitted: false, reason: "address", retryAfterMs: retryAfter(own) };
      let displaced = Promise.resolve();
      if (total >= limits.maxPending) {
        const found = victim();
        if (!found || found.size <= (own?.size ?? 0)) {
          return { admitted: false, reason: "full", retryAfterMs: retryAfter(all()) };
        }
        remove(found.slot);
        displaced = found.slot.displace();
      }
      const slot: Slot = { group, seq: arrivals++, freesAt, displace };
      add(slot);
      return { admitted: true, slot, displaced };
    },
    /** Frees a place; false when it was not held (already released or displaced). */
    release: remove,
    /**
     * Takes back a place whose login turned out to be mid-approval when it was to be displaced: it is about to end on
     * its own, so the table may exceed its cap by the approvals under way until then.
     */
    restore: (slot: Slot) => {
      if (!groups.get(slot.group)?.has(slot)) add(slot);
    },
    size: () => total,
  };
}

export type LoginSlots = ReturnType<typeof createLoginSlots>;
