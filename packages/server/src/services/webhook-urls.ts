import { lookup } from "node:dns/promises";
import type { LookupAddress } from "node:dns";
import { BlockList, isIP } from "node:net";
import { DomainError } from "@latchkey/core";

/** Loopback, private, link-local and other non-public ranges a webhook may not reach (unless allowed). */
const FORBIDDEN = new BlockList();
for (const [net, bits] of [
  ["0.0.0.0", 8],
  ["10.0.0.0", 8],
  ["100.64.0.0", 10],
  ["127.0.0.0", 8],
  ["169.254.0.0", 16],
  ["172.16.0.0", 12],
  ["192.168.0.0", 16],
  ["198.18.0.0", 15],
  ["224.0.0.0", 3],
] as const) {
  FORBIDDEN.addSubnet(net, bits, "ipv4");
}
for (const [net, bits] of [
  ["::", 128],
  ["::1", 128],
  ["fc00::", 7],
  ["fe80::", 10],
  ["ff00::", 8],
] as const) {
  FORBIDDEN.addSubnet(net, bits, "ipv6");
}

/** Whether an address is loopback, private, link-local or otherwise not a public receiver's. */
export function isForbiddenAddress(address: string): boolean {
  const family = isIP(address);
  if (family === 4) return FORBIDDEN.check(address, "ipv4");
  if (family !== 6) return true;
  // An IPv4 address written as IPv6 (::ffff:127.0.0.1) is judged as the IPv4 address it is.
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address);
  if (mapped?.[1]) return FORBIDDEN.check(mapped[1], "ipv4");
  return FORBIDDEN.check(address, "ipv6");
}

/** The host of a URL as DNS and `isIP` take it (without IPv6 brackets). */
export const hostOf = (url: URL): string => url.hostname.replace(/^\[(.*)\]$/, "$1");

/** Resolves a host to its addresses; refuses (throws) when any of them is forbidden. */
export async function publicAddresses(host: string): Promise<LookupAddress[]> {
  const addresses = isIP(host) ? [{ address: host, family: isIP(host) }] : await lookup(host, { all: true, verbatim: true });
  const bad = addresses.find((a) => isForbiddenAddress(a.address));
  if (bad) throw new Error(`${host} resolves to a loopback, private or link-local address (${bad.address})`);
  return addresses;
}

/**
 * Checks a webhook URL when it is saved: http(s), not this server, and (unless private receivers are allowed) a host
 * that resolves to public addresses only. 400 otherwise. Checked again at every delivery (DNS may change).
 */
export async function checkWebhookUrl(value: string, options: { allowPrivate: boolean; publicUrl: string }): Promise<void> {
  const refuse = (why: string) => new DomainError("VALIDATION_FAILED", `url ${why}`, { fields: { url: why } });
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw refuse("is not a URL");
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") throw refuse("must be http:// or https://");
  if (url.origin === new URL(options.publicUrl).origin) throw refuse("must not point at this server");
  if (options.allowPrivate) return;
  try {
    await publicAddresses(hostOf(url));
  } catch (error) {
    const code = (error as { code?: string }).code;
    throw refuse(code ? "has a host that does not resolve" : "must not point at a loopback, private or link-local address");
  }
}
