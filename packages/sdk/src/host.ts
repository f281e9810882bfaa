/** Normalises a host given by a person: adds `https://` when no scheme is given and drops trailing slashes. */
export function normalizeHost(host: string): string {
  const withScheme = /^[a-z][a-z0-9+.-]*:\/\//i.test(host) ? host : `https://${host}`;
  const url = new URL(withScheme);
  if (url.protocol !== "http:" && url.protocol !== "https:") throw new TypeError(`host must be http(s): ${host}`);
  return `${url.origin}${url.pathname}`.replace(/\/+$/, "");
}
