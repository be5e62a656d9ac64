// The bearer token. `ops/run` prints a link with the token in the URL
// fragment (#token=…), which browsers never send to a server or put in a
// Referer. The editor takes it from there once, keeps it in sessionStorage
// (gone when the tab closes) and removes it from the address bar and history.
const KEY = "pagewright.token";

export function adoptTokenFromFragment(): void {
  const hash = window.location.hash.replace(/^#/, "");
  if (!hash) return;
  const params = new URLSearchParams(hash);
  const token = params.get("token");
  if (token === null) return;
  params.delete("token");
  if (token.trim()) setToken(token.trim());
  const rest = params.toString();
  const url = window.location.pathname + window.location.search + (rest ? "#" + rest : "");
  window.history.replaceState(window.history.state, "", url);
}

export function getToken(): string | null {
  try {
    return window.sessionStorage.getItem(KEY);
  } catch {
    return null;
  }
}

export function setToken(token: string): void {
  window.sessionStorage.setItem(KEY, token);
}

export function clearToken(): void {
  window.sessionStorage.removeItem(KEY);
}

export type Claims = { sub?: string; tenant?: string; role?: string; exp?: number };

// What the token says about its holder (shown, never trusted: the API checks it).
export function readClaims(token: string): Claims | null {
  const parts = token.split(".");
  if (parts.length !== 3) return null;
  try {
    const json = atob(parts[1].replace(/-/g, "+").replace(/_/g, "/"));
    const claims = JSON.parse(json) as unknown;
    return claims && typeof claims === "object" ? (claims as Claims) : null;
  } catch {
    return null;
  }
}
