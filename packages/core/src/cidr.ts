// CIDR notation for per-token IP allow-lists, parsed without Node's `net` (core also runs in the browser console).

/** A parsed CIDR block: its family, its address as bytes (4 or 16) and its prefix length. */
export interface Cidr {
  family: 4 | 6;
  bytes: number[];
  prefix: number;
}

/** The longest CIDR string accepted (a full IPv6 address with an embedded IPv4 and a prefix fits). */
export const CIDR_MAX_LENGTH = 64;

/** The bytes of a dotted-quad IPv4 address (no leading zeros, which some parsers read as octal), or null. */
export function parseIpv4(text: string): number[] | null {
  const parts = text.split(".");
  if (parts.length !== 4) return null;
  const bytes: number[] = [];
  for (const p of parts) {
    if (!/^(0|[1-9][0-9]{0,2})$/.test(p)) return null;
    const n = Number(p);
    if (n > 255) return null;
    bytes.push(n);
  }
  return bytes;
}

/** The 16 bytes of an IPv6 address (`::` shorthand and a trailing IPv4 allowed, zones not), or null. */
export function parseIpv6(text: string): number[] | null {
  let s = text;
  let v4: number[] | null = null;
  const last = s.lastIndexOf(":");
  if (last === -1) return null;
  if (s.slice(last + 1).includes(".")) {
    v4 = parseIpv4(s.slice(last + 1));
    if (!v4) return null;
    s = `${s.slice(0, last + 1)}0:0`;
  }
  const halves = s.split("::");
  if (halves.length > 2) return null;
  const groupsOf = (h: string) => (h === "" ? [] : h.split(":"));
  const left = groupsOf(halves[0] ?? "");
  const right = halves.length === 2 ? groupsOf(halves[1] ?? "") : [];
  const all = [...left, ...right];
  if (all.some((g) => !/^[0-9a-fA-F]{1,4}$/.test(g))) return null;
  if (halves.length === 2 ? all.length > 7 : all.length !== 8) return null;
  const groups = [...left, ...Array<string>(8 - all.length).fill("0"), ...right];
  const bytes = groups.flatMap((g) => {
    const n = parseInt(g, 16);
    return [n >> 8, n & 0xff];
  });
  if (v4) bytes.splice(12, 4, ...v4);
  return bytes;
}

/** A CIDR block (`203.0.113.0/24`, `2001:db8::/32`) or a single address (a /32 or /128), or null when invalid. */
export function parseCidr(text: string): Cidr | null {
  if (text.length === 0 || text.length > CIDR_MAX_LENGTH) return null;
  const slash = text.indexOf("/");
  const address = slash === -1 ? text : text.slice(0, slash);
  const prefixText = slash === -1 ? null : text.slice(slash + 1);
  const v4 = parseIpv4(address);
  const bytes = v4 ?? parseIpv6(address);
  if (!bytes) return null;
  const family = v4 ? 4 : 6;
  const max = family === 4 ? 32 : 128;
  if (prefixText !== null && !/^(0|[1-9][0-9]{0,2})$/.test(prefixText)) return null;
  const prefix = prefixText === null ? max : Number(prefixText);
  if (prefix > max) return null;
  return { family, bytes, prefix };
}

/** An IP address: its family and its bytes (4 or 16). */
export interface IpAddress {
  family: 4 | 6;
  bytes: number[];
}

/** The longest client address accepted (an IPv6 address with an embedded IPv4 and a zone fits). */
export const IP_MAX_LENGTH = 64;

const ZONE = /^[0-9A-Za-z._~-]{1,16}$/;

/**
 * A client address as a socket or a proxy reports it: IPv4 or IPv6; an IPv6 zone (`fe80::1%eth0`) is ignored.
 * Null when it is not an address (a CIDR block is not).
 */
export function parseIp(text: string): IpAddress | null {
  if (text.length === 0 || text.length > IP_MAX_LENGTH) return null;
  const v4 = parseIpv4(text);
  if (v4) return { family: 4, bytes: v4 };
  const percent = text.indexOf("%");
  if (percent !== -1 && !ZONE.test(text.slice(percent + 1))) return null;
  const v6 = parseIpv6(percent === -1 ? text : text.slice(0, percent));
  return v6 ? { family: 6, bytes: v6 } : null;
}

/** Whether bytes lie in ::ffff:0:0/96, the IPv4-mapped block (what a dual-stack socket reports IPv4 clients as). */
const isMapped = (bytes: readonly number[]): boolean =>
  bytes.length === 16 && bytes.slice(0, 10).every((b) => b === 0) && bytes[10] === 0xff && bytes[11] === 0xff;

/** An IPv4-mapped IPv6 address (`::ffff:203.0.113.5`) as the IPv4 address it names; any other unchanged. */
export function unmapIp(address: IpAddress): IpAddress {
  return address.family === 6 && isMapped(address.bytes) ? { family: 4, bytes: address.bytes.slice(12) } : address;
}

/** Whether `address` lies in `cidr` (same family only: compare unmapped addresses with `unmapIp`). */
export function cidrContains(cidr: Cidr, address: IpAddress): boolean {
  if (cidr.family !== address.family) return false;
  const whole = cidr.prefix >> 3;
  for (let i = 0; i < whole; i++) if (cidr.bytes[i] !== address.bytes[i]) return false;
  const bits = cidr.prefix & 7;
  if (bits === 0) return true;
  const mask = (0xff << (8 - bits)) & 0xff;
  return ((cidr.bytes[whole] ?? 0) & mask) === ((address.bytes[whole] ?? 0) & mask);
}

/**
 * A CIDR block as it applies to clients: a block inside ::ffff:0:0/96 names IPv4 addresses, and clients are compared
 * unmapped, so it becomes the IPv4 block it names.
 */
export function unmapCidr(cidr: Cidr): Cidr {
  if (cidr.family !== 6 || cidr.prefix < 96 || !isMapped(cidr.bytes)) return cidr;
  return { family: 4, bytes: cidr.bytes.slice(12), prefix: cidr.prefix - 96 };
}
