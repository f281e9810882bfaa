import { parseCidr } from "@latchkey/core";
import { BlockList, isIPv4, isIPv6 } from "node:net";
import { DomainError } from "@latchkey/core";

/** A token's allowed addresses, compiled once when the token is loaded: checking one is a lookup, not a parse. */
export interface IpAllowList {
  readonly cidrs: readonly string[];
  allows(ip: string): boolean;
}

/** Addresses one token's list remembers its answer for (bounded: a scan from many addresses cannot grow it). */
const MAX_REMEMBERED = 1024;

const MAPPED = /^::ffff:(\d{1,3}(?:\.\d{1,3}){3})$/i;

/** An IPv4-mapped IPv6 address (`::ffff:203.0.113.5`, what a dual-stack socket reports) as the IPv4 it is. */
function unmapped(ip: string): string {
  return MAPPED.exec(ip)?.[1] ?? ip;
}

/** Compiles stored CIDRs into a BlockList; undefined for an empty list (any address). Invalid entries match nothing. */
export function compileAllowList(cidrs: readonly string[]): IpAllowList | undefined {
  if (cidrs.length === 0) return undefined;
  const list = new BlockList();
  for (const text of cidrs) {
    const cidr = parseCidr(text);
    if (!cidr) continue;
    if (cidr.family === 4) {
      list.addSubnet(cidr.bytes.join("."), cidr.prefix, "ipv4");
      continue;
    }
    const groups: string[] = [];
    for (let i = 0; i < 16; i += 2) groups.push((((cidr.bytes[i] ?? 0) << 8) | (cidr.bytes[i + 1] ?? 0)).toString(16));
    list.addSubnet(groups.join(":"), cidr.prefix, "ipv6");
    // A block inside ::ffff:0:0/96 names IPv4 addresses: clients reported as plain IPv4 match it too.
    const mapped = cidr.bytes.slice(0, 10).every((b) => b === 0) && cidr.bytes[10] === 0xff && cidr.bytes[11] === 0xff;
    if (mapped && cidr.prefix >= 96) list.addSubnet(cidr.bytes.slice(12).join("."), cidr.prefix - 96, "ipv4");
  }
  const check = (ip: string): boolean => {
    const address = unmapped(ip);
    if (isIPv4(address)) return list.check(address, "ipv4");
    if (isIPv6(address)) return list.check(address, "ipv6");
    return false;
  };
  // BlockList.check costs about 10 µs (it builds a SocketAddress in C++); a token's clients come from few addresses,
  // so answers are remembered: a repeated address costs a Map lookup (bench/ip-allow-list.mjs).
  const seen = new Map<string, boolean>();
  return {
    cidrs: [...cidrs],
    allows(ip: string): boolean {
      let answer = seen.get(ip);
      if (answer === undefined) {
        answer = check(ip);
        if (seen.size >= MAX_REMEMBERED) seen.clear();
        seen.set(ip, answer);
      }
      return answer;
    },
  };
}

/** What the decision reads of a principal (principal.ts holds `allowList`). */
interface AllowListed {
  allowList?: IpAllowList | undefined;
}

/**
 * The one decision every door takes (Latchkey's routes, forward auth, check): may this principal act from this
 * client address? Console sessions and tokens without an allow-list may act from anywhere.
 */
export function ipAllowed(principal: AllowListed, clientIp: string): boolean {
  return principal.allowList === undefined || principal.allowList.allows(clientIp);
}

/** Throws 403 IP_NOT_ALLOWED unless `ipAllowed`. */
export function assertIpAllowed(principal: AllowListed, clientIp: string): void {
  if (!ipAllowed(principal, clientIp)) {
    throw new DomainError("IP_NOT_ALLOWED", "this token may not be used from this address", { ip: clientIp });
  }
}
