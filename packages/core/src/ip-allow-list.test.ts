import { BlockList } from "node:net";
import { describe, expect, it } from "vitest";
import { parseIp } from "./cidr.js";
import { compileAllowList } from "./ip-allow-list.js";

describe("parseIp", () => {
  it.each([
    ["203.0.113.7", { family: 4, bytes: [203, 0, 113, 7] }],
    ["::1", { family: 6, bytes: [...Array<number>(15).fill(0), 1] }],
    ["fe80::1%eth0", { family: 6, bytes: [0xfe, 0x80, ...Array<number>(13).fill(0), 1] }],
    ["::ffff:192.0.2.1", { family: 6, bytes: [...Array<number>(10).fill(0), 0xff, 0xff, 192, 0, 2, 1] }],
  ])("%s parses", (text, expected) => {
    expect(parseIp(text)).toEqual(expected);
  });

  it.each(["", "203.0.113.0/24", "::1/128", "fe80::1%", "fe80::1%a b", "1.2.3.4%eth0", "localhost", "1".repeat(65), "::ffff:1.2.3"])(
    "%s is not an address",
    (text) => {
      expect(parseIp(text)).toBeNull();
    },
  );
});

describe("compileAllowList", () => {
  it("an empty list is no list (any address)", () => {
    expect(compileAllowList([])).toBeUndefined();
  });

  const list = compileAllowList(["203.0.113.0/24", "2001:db8::/32", "192.0.2.10", "::ffff:198.51.100.0/120", "10.128.0.0/9"])!;
  it.each([
    ["203.0.113.1", true],
    ["203.0.113.255", true],
    ["::ffff:203.0.113.77", true],
    ["::ffff:cb00:714d", true], // the same mapped address in hex
    ["2001:db8::1", true],
    ["2001:0db8:ffff:ffff:ffff:ffff:ffff:ffff", true],
    ["2001:db8::1%eth0", true],
    ["192.0.2.10", true],
    ["::ffff:192.0.2.10", true],
    ["198.51.100.200", true], // IPv4 client, mapped block
    ["::ffff:198.51.100.1", true],
    ["10.128.0.1", true],
    ["10.255.255.255", true],
    ["10.127.255.255", false], // one below a /9 that does not end on a byte
    ["203.0.114.1", false],
    ["192.0.2.11", false],
    ["198.51.101.1", false],
    ["2001:db9::1", false],
    ["::1", false],
    ["127.0.0.1", false],
    ["::203.0.113.1", false], // IPv4-compatible (deprecated), not mapped
    ["garbage", false],
    ["", false],
    ["203.0.113.1/32", false],
  ])("%s -> %s", (ip, allowed) => {
    expect(list.allows(ip)).toBe(allowed);
    expect(list.allows(ip)).toBe(allowed); // remembered answer
  });

  it("agrees with node:net BlockList on random addresses and blocks (IPv4 and IPv6)", () => {
    let seed = 0x5eed;
    const random = () => {
      seed = (seed * 1103515245 + 12345) & 0x7fffffff;
      return seed;
    };
    const v4 = () => [0, 0, 0, 0].map(() => random() & 0xff).join(".");
    const v6 = () => Array.from({ length: 8 }, () => (random() & 0xffff).toString(16)).join(":");
    for (let round = 0; round < 200; round++) {
      const family = round % 2 ? 4 : 6;
      const base = family === 4 ? v4() : v6();
      const prefix = random() % (family === 4 ? 33 : 129);
      const ours = compileAllowList([`${base}/${prefix}`])!;
      const theirs = new BlockList();
      theirs.addSubnet(base, prefix, family === 4 ? "ipv4" : "ipv6");
      // Neighbours of the base share long prefixes, so the bits near the prefix length are exercised.
      for (let i = 0; i < 20; i++) {
        const ip = i < 10 ? (family === 4 ? v4() : v6()) : flipBit(base, family, random() % (family === 4 ? 32 : 128));
        expect(ours.allows(ip), `${ip} in ${base}/${prefix}`).toBe(theirs.check(ip, family === 4 ? "ipv4" : "ipv6"));
      }
    }
  });

  it("remembers a bounded number of answers, and still answers right past the bound", () => {
    const wide = compileAllowList(["10.0.0.0/8"])!;
    for (let i = 0; i < 3000; i++) expect(wide.allows(`10.${i >> 8}.${i & 255}.1`)).toBe(true);
    expect(wide.allows("11.0.0.1")).toBe(false);
    expect(wide.allows(`${"1".repeat(100)}`)).toBe(false);
  });
});

/** `ip` with one bit flipped (IPv4 dotted or full IPv6 groups). */
function flipBit(ip: string, family: 4 | 6, bit: number): string {
  if (family === 4) {
    const bytes = ip.split(".").map(Number);
    bytes[bit >> 3] = (bytes[bit >> 3] ?? 0) ^ (0x80 >> (bit & 7));
    return bytes.join(".");
  }
  const groups = ip.split(":").map((g) => parseInt(g, 16));
  groups[bit >> 4] = (groups[bit >> 4] ?? 0) ^ (0x8000 >> (bit & 15));
  return groups.map((g) => g.toString(16)).join(":");
}
