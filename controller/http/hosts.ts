// The names the controller's HTTP port answers to. A browser that was led to it under another
// name (DNS rebinding: an attacker's domain re-pointed at 127.0.0.1) sends that name as Host:
// the console and the API refuse it, so a page of the attacker's can neither log in nor use
// an admin's session. Behind an HTTPS reverse proxy the console is reached at its public
// origin (http.publicOrigin): that host is accepted, and that origin on form posts.

export interface HttpNames {
  /** Host header values accepted ("127.0.0.1:8080", "localhost:8080", the public host) */
  hosts: Set<string>;
  /** Origin header values accepted on a console form post */
  origins: Set<string>;
}

export function httpNames(http: { host: string; port: number; publicOrigin?: string | undefined }): HttpNames {
  const local = [`${http.host}:${http.port}`];
  if (http.host === '127.0.0.1' || http.host === 'localhost') local.push(`127.0.0.1:${http.port}`, `localhost:${http.port}`);
  const hosts = new Set(local.map((h) => h.toLowerCase()));
  const origins = new Set([...hosts].map((h) => `http://${h}`));
  if (http.publicOrigin) {
    const u = new URL(http.publicOrigin);
    hosts.add(u.host.toLowerCase());
    origins.add(u.origin.toLowerCase());
  }
  return { hosts, origins };
}

export const hostAllowed = (names: HttpNames, host: string | undefined): boolean => !!host && names.hosts.has(host.toLowerCase());

export const originAllowed = (names: HttpNames, origin: string | undefined): boolean => origin === undefined || names.origins.has(origin.toLowerCase());
