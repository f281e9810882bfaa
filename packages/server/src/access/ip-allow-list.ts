import { DomainError, type IpAllowList } from "@latchkey/core";

// The allow-list itself (compiled once when the verifier loads a token) is @latchkey/core's `compileAllowList`, the
// matcher the SDK verifier uses too.

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
