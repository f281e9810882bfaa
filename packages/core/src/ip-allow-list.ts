// A token's IP allow-list as every door decides it: the server (Latchkey's routes, forward auth, check) and the SDK
// verifier (from memory) share this one matcher, so an address is allowed in both places or in neither.
import { cidrContains, IP_MAX_LENGTH, parseCidr, parseIp, unmapCidr, unmapIp, type Cidr } from "./cidr.js";

/** A token's allowed addresses, compiled once: checking one is a comparison of bytes, a repeated one a lookup. */
export interface IpAllowList {
  /** The blocks as stored (and as `allowedIps` shows them). */
  readonly cidrs: readonly string[];
  /** Whether a client at `ip` (IPv4, IPv6, IPv4-mapped IPv6) may use the token; false for anything not an address. */
  allows(ip: string): boolean;
}

/** Addresses one list remembers its answer for (bounded: a scan from many addresses cannot grow it). */
const MAX_REMEMBERED = 1024;

/**
 * Compiles CIDR blocks (`203.0.113.0/24`, `2001:db8::/32`, single addresses) into an allow-list; undefined for an
 * empty list (any address). Entries that do not parse match nothing. An IPv4 client reported as `::ffff:a.b.c.d`
 * counts as `a.b.c.d`, and a block inside ::ffff:0:0/96 as the IPv4 block it names.
 */
export function compileAllowList(cidrs: readonly string[]): IpAllowList | undefined {
  if (cidrs.length === 0) return undefined;
  const blocks: Cidr[] = [];
  for (const text of cidrs) {
    const cidr = parseCidr(text);
    if (cidr) blocks.push(unmapCidr(cidr));
  }
  const check = (ip: string): boolean => {
    const parsed = parseIp(ip);
    if (!parsed) return false;
    const address = unmapIp(parsed);
    return blocks.some((cidr) => cidrContains(cidr, address));
  };
  // A token's clients come from few addresses: a repeated one costs a Map lookup instead of a parse.
  const seen = new Map<string, boolean>();
  return {
    cidrs: [...cidrs],
    allows(ip: string): boolean {
      let answer = seen.get(ip);
      if (answer === undefined) {
        answer = check(ip);
        if (ip.length > IP_MAX_LENGTH) return answer;
        if (seen.size >= MAX_REMEMBERED) seen.clear();
        seen.set(ip, answer);
      }
      return answer;
    },
  };
}
