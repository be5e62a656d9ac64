// Client routes under the editor's base (/editor/): "" (sites), "sites/<id>"
// (a site's pages) and "pages/<id>" (the page editor). The server answers
// index.html for any of them.
import { useEffect, useState } from "react";

const BASE = import.meta.env.BASE_URL.replace(/\/?$/, "/");

export type Route =
  | { name: "sites" }
  | { name: "site"; siteId: string }
  | { name: "page"; pageId: string }
  | { name: "unknown"; path: string };

export function parseRoute(pathname: string): Route {
  const rest = pathname.startsWith(BASE) ? pathname.slice(BASE.length) : pathname.replace(/^\//, "");
  const parts = rest.split("/").filter(Boolean).map(decodeURIComponent);
  if (parts.length === 0) return { name: "sites" };
  if (parts.length === 2 && parts[0] === "sites") return { name: "site", siteId: parts[1] };
  if (parts.length === 2 && parts[0] === "pages") return { name: "page", pageId: parts[1] };
  return { name: "unknown", path: rest };
}

export function href(route: Route): string {
  switch (route.name) {
    case "sites":
      return BASE;
    case "site":
      return `${BASE}sites/${encodeURIComponent(route.siteId)}`;
    case "page":
      return `${BASE}pages/${encodeURIComponent(route.pageId)}`;
    case "unknown":
      return BASE + route.path;
  }
}

// Leaving a page with unsaved changes asks first (the editor registers it).
let guard: (() => boolean) | null = null;
export function setNavigationGuard(fn: (() => boolean) | null): void {
  guard = fn;
}

export function navigate(route: Route): void {
  if (guard && !guard()) return;
  window.history.pushState(null, "", href(route));
  window.dispatchEvent(new PopStateEvent("popstate"));
}

export function useRoute(): Route {
  const [route, setRoute] = useState(() => parseRoute(window.location.pathname));
  useEffect(() => {
    const onPop = () => setRoute(parseRoute(window.location.pathname));
    window.addEventListener("popstate", onPop);
    return () => window.removeEventListener("popstate", onPop);
  }, []);
  return route;
}

// An <a> that navigates inside the editor (and still opens in a new tab on
// a middle or modified click).
export function linkProps(route: Route) {
  return {
    href: href(route),
    onClick: (e: { button: number; metaKey: boolean; ctrlKey: boolean; shiftKey: boolean; preventDefault: () => void }) => {
      if (e.button !== 0 || e.metaKey || e.ctrlKey || e.shiftKey) return;
      e.preventDefault();
      navigate(route);
    },
  };
}
