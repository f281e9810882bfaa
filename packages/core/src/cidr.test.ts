import { describe, expect, it } from "vitest";
import { parseCidr } from "./cidr.js";

describe("parseCidr", () => {
  it.each([
    ["203.0.113.0/24", { family: 4, bytes: [203, 0, 113, 0], prefix: 24 }],
    ["0.0.0.0/0", { family: 4, bytes: [0, 0, 0, 0], prefix: 0 }],
    ["192.0.2.1", { family: 4, bytes: [192, 0, 2, 1], prefix: 32 }],
    ["2001:db8::/32", { family: 6, bytes: [0x20, 0x01, 0x0d, 0xb8, ...Array<number>(12).fill(0)], prefix: 32 }],
    ["::1", { family: 6, bytes: [...Array<number>(15).fill(0), 1], prefix: 128 }],
    ["::", { family: 6, bytes: Array<number>(16).fill(0), prefix: 128 }],
    ["::ffff:192.0.2.0/120", { family: 6, bytes: [...Array<number>(10).fill(0), 0xff, 0xff, 192, 0, 2, 0], prefix: 120 }],
    ["1:2:3:4:5:6:7:8/64", { family: 6, bytes: [0, 1, 0, 2, 0, 3, 0, 4, 0, 5, 0, 6, 0, 7, 0, 8], prefix: 64 }],
    ["FE80::ABCD", { family: 6, bytes: [0xfe, 0x80, ...Array<number>(12).fill(0), 0xab, 0xcd], prefix: 128 }],
  ])("%s parses", (text, expected) => {
    expect(parseCidr(text)).toEqual(expected);
  });

  it.each([
    "",
    "256.0.0.1",
    "1.2.3",
    "1.2.3.4.5",
    "01.2.3.4",
    "1.2.3.4/33",
    "1.2.3.4/",
    "1.2.3.4/024",
    "1.2.3.4/ 8",
    "2001:db8::/129",
    "2001:db8:::1",
    "1::2::3",
    "1:2:3:4:5:6:7:8:9",
    "1:2:3:4:5:6:7",
    "12345::",
    "fe80::1%eth0",
    "::ffff:1.2.3.256",
    "g::1",
    "x".repeat(65),
  ])("%s is refused", (text) => {
    expect(parseCidr(text)).toBeNull();
  });
});
