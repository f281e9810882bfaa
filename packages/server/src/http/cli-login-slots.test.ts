import { describe, expect, it } from "vitest";
import { addressGroup, createLoginSlots, type Admission, type Slot } from "./cli-login-slots.js";

describe("addressGroup", () => {
  it.each([
    ["127.0.0.1", "127.0.0.1"],
    ["10.1.2.3", "10.1.2.3"],
    ["::ffff:10.1.2.3", "10.1.2.3"],
    ["::FFFF:10.1.2.3", "10.1.2.3"],
    ["2001:db8:1:2:3:4:5:6", "2001:db8:1:2::/64"],
    ["2001:db8:1:2::99", "2001:db8:1:2::/64"],
    ["2001:0db8:0001:0002:ffff::1", "2001:db8:1:2::/64"],
    ["2001:db8::1", "2001:db8:0:0::/64"],
    ["2001:db8:0:0:1::", "2001:db8:0:0::/64"],
    ["::1", "0:0:0:0::/64"],
    ["fe80::1%eth0", "fe80:0:0:0::/64"],
    ["2001:db8:1:2:3:4:1.2.3.4", "2001:db8:1:2::/64"],
  ])("%s counts as %s", (ip, group) => {
    expect(addressGroup(ip)).toBe(group);
  });
});

describe("createLoginSlots", () => {
  /** A table whose sockets record being displaced; `clock` is the time the table reads. */
  const table = (maxPending: number, maxPerAddress: number) => {
    let clock = 1_000_000;
    const slots = createLoginSlots({ maxPending, maxPerAddress }, () => clock);
    const displaced: string[] = [];
    const admit = (ip: string, name: string, freesIn = 10_000): Admission =>
      slots.admit(ip, clock + freesIn, () => {
        displaced.push(name);
        return Promise.resolve();
      });
    return { slots, displaced, admit, tick: (ms: number) => (clock += ms) };
  };
  const slotOf = (a: Admission): Slot => {
    if (!a.admitted) throw new Error("refused");
    return a.slot;
  };

  it("refuses an address at its cap with the time until its first place frees, and admits others", () => {
    const t = table(10, 2);
    t.admit("10.0.0.1", "a1", 5000);
    t.admit("10.0.0.1", "a2", 3000);
    t.tick(1000);
    expect(t.admit("10.0.0.1", "a3")).toEqual({ admitted: false, reason: "address", retryAfterMs: 2000 });
    expect(t.admit("10.0.0.2", "b1").admitted).toBe(true);
    expect(t.displaced).toEqual([]);
    expect(t.slots.size()).toBe(3);
  });

  it("counts a whole IPv6 /64 as one address", () => {
    const t = table(10, 2);
    t.admit("2001:db8:1:2::1", "a1");
    t.admit("2001:db8:1:2::2", "a2");
    expect(t.admit("2001:db8:1:2:ffff::3", "a3").admitted).toBe(false);
    expect(t.admit("2001:db8:1:3::1", "b1").admitted).toBe(true);
  });

  it("when full, displaces the oldest socket of the address holding the most, never a smaller one's", () => {
    const t = table(5, 3);
    t.admit("10.0.0.9", "legit");
    for (const name of ["x1", "x2", "x3"]) t.admit("10.0.0.1", name);
    t.admit("10.0.0.2", "y1");
    // Full: 10.0.0.1 holds 3, the most; its oldest goes.
    expect(t.admit("10.0.0.3", "z1").admitted).toBe(true);
    expect(t.displaced).toEqual(["x1"]);
    // The attacker comes back: from the address that still holds the most it is refused; from another it displaces
    // its own again; the person's only login stays as long as some address holds more than one.
    expect(t.admit("10.0.0.1", "x4")).toMatchObject({ admitted: false, reason: "full" });
    expect(t.admit("10.0.0.2", "y2").admitted).toBe(true);
    expect(t.admit("10.0.0.4", "w1").admitted).toBe(true);
    expect(t.displaced).toEqual(["x1", "x2", "y1"]);
    expect(t.slots.size()).toBe(5);
  });

  it("among addresses holding as many, displaces the oldest socket; refuses an address holding as many as any", () => {
    const t = table(3, 3);
    t.admit("10.0.0.1", "a1");
    t.admit("10.0.0.2", "b1");
    t.admit("10.0.0.3", "c1");
    // Every address holds one: a newcomer from a fourth takes the oldest place...
    expect(t.admit("10.0.0.4", "d1").admitted).toBe(true);
    expect(t.displaced).toEqual(["a1"]);
    // ...but an address that already holds one may not push out another's only login to hold two.
    t.tick(4000);
    expect(t.admit("10.0.0.2", "b2")).toEqual({ admitted: false, reason: "full", retryAfterMs: 6000 });
    expect(t.displaced).toEqual(["a1"]);
  });

  it("frees places on release, once, and takes a restored place back without counting it twice", () => {
    const t = table(2, 2);
    const a = slotOf(t.admit("10.0.0.1", "a"));
    t.admit("10.0.0.1", "b");
    expect(t.slots.release(a)).toBe(true);
    expect(t.slots.release(a)).toBe(false);
    expect(t.slots.size()).toBe(1);
    t.slots.restore(a);
    t.slots.restore(a);
    expect(t.slots.size()).toBe(2);
    expect(t.admit("10.0.0.1", "c").admitted).toBe(false);
  });
});
