/** Hosts on this machine: without a scheme they mean http (a local server has no certificate), any other https. */
const LOOPBACK = /^(localhost|127(\.\d{1,3}){3}|\[::1\])(:\d+)?(\/|$)/i;

/**
 * Normalises a host given by a person: adds a scheme when none is given (`http://` for localhost and loopback
 * addresses, else `https://`), drops trailing slashes and a trailing `/v1` (the API's prefix, which people paste
 * from the docs).
 */
export function normalizeHost(host: string): string {
  const trimmed = host.trim();
  const withScheme = /^[a-z][a-z0-9+.-]*:\/\//i.test(trimmed) ? trimmed : `${LOOPBACK.test(trimmed) ? "http" : "https"}://${trimmed}`;
  const url = new URL(withScheme);
  if (url.protocol !== "http:" && url.protocol !== "https:") throw new TypeError(`host must be http(s): ${host}`);
  return `${url.origin}${url.pathname}`.replace(/\/+$/, "").replace(/\/v1$/i, "");
}
