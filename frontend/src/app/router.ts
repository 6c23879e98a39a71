/** Routing in the browser with the History API: Django answers every page route with the same index.html. */

import { useEffect, useState } from "preact/hooks";

const CHANGED = "vms:navigate";

export interface Location {
  path: string;
  search: URLSearchParams;
}

function current(): Location {
  return { path: location.pathname.replace(/\/+$/, "") || "/", search: new URLSearchParams(location.search) };
}

export function navigate(to: string, options: { replace?: boolean } = {}): void {
  if (to === location.pathname + location.search) return;
  if (options.replace) history.replaceState(null, "", to);
  else history.pushState(null, "", to);
  window.dispatchEvent(new Event(CHANGED));
}

export function useLocation(): Location {
  const [where, setWhere] = useState(current);
  useEffect(() => {
    const update = () => setWhere(current());
    window.addEventListener("popstate", update);
    window.addEventListener(CHANGED, update);
    return () => {
      window.removeEventListener("popstate", update);
      window.removeEventListener(CHANGED, update);
    };
  }, []);
  return where;
}

/** Match "/recordings/:camera" against a path; the named parts, or null. */
export function match(pattern: string, path: string): Record<string, string> | null {
  const wanted = pattern.split("/").filter(Boolean);
  const parts = path.split("/").filter(Boolean);
  if (wanted.length !== parts.length) return null;
  const params: Record<string, string> = {};
  for (let i = 0; i < wanted.length; i++) {
    if (wanted[i].startsWith(":")) params[wanted[i].slice(1)] = decodeURIComponent(parts[i]);
    else if (wanted[i] !== parts[i]) return null;
  }
  return params;
}

/** A plain left click on a same-origin link moves within the app; other clicks (new tab...) do what they do. */
export function followLink(event: MouseEvent): void {
  if (event.defaultPrevented || event.button !== 0 || event.metaKey || event.ctrlKey || event.shiftKey || event.altKey) return;
  const anchor = (event.target as Element | null)?.closest?.("a");
  if (!anchor || anchor.target || anchor.hasAttribute("download") || anchor.origin !== location.origin) return;
  if (anchor.pathname.startsWith("/api/") || anchor.pathname.startsWith("/static/")) return;
  event.preventDefault();
  navigate(anchor.pathname + anchor.search);
}
