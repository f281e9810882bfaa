import type { CliLoginApprove, CliLoginDescription, DeviceApprove, DeviceRequestInfo, TokenMetadata } from "../types.js";
import type { Transport } from "./transport.js";

/** `LatchkeyClient.device`: the console half of the device flow. */
export function createDeviceApi(t: Transport) {
  return {
    lookup: (userCode: string) => t.request<DeviceRequestInfo>("POST", "/v1/oauth/device/lookup", { body: { userCode } }),
    approve: (body: DeviceApprove) => t.request<{ apiToken: TokenMetadata }>("POST", "/v1/oauth/device/approve", { body }),
    deny: (userCode: string) => t.request<{ denied: true }>("POST", "/v1/oauth/device/deny", { body: { userCode } }),
  };
}

/** What `LatchkeyClient.device` holds. */
export type DeviceApi = ReturnType<typeof createDeviceApi>;

/** `LatchkeyClient.cliLogin`: the browser half of `latchkey login`. */
export function createCliLoginApi(t: Transport) {
  return {
    /** The pairing code the waiting CLI shows (null when it shows none), for the person to compare. */
    describe: (sessionToken: string) => t.request<CliLoginDescription>("POST", "/v1/cli-login/describe", { body: { sessionToken } }),
    approve: (body: CliLoginApprove) => t.request<Record<string, unknown>>("POST", "/v1/cli-login/approve", { body }),
    deny: (sessionToken: string) => t.request<Record<string, unknown>>("POST", "/v1/cli-login/deny", { body: { sessionToken } }),
  };
}

/** What `LatchkeyClient.cliLogin` holds. */
export type CliLoginApi = ReturnType<typeof createCliLoginApi>;
