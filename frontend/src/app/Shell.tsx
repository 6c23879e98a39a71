/** The header (menu, alarms, who is logged in, log out) and the page the URL names, if the role allows it. */

import { useEffect } from "preact/hooks";
import { AlarmBell } from "../alarms/AlarmBell";
import type { Me } from "../api/types";
import { NotAllowed, NotFound } from "../components/Notice";
import { PAGES } from "./pages";
import { can, PERMISSION } from "./permissions";
import { followLink, match, navigate, useLocation } from "./router";

function firstPageFor(me: Me): string | null {
  return PAGES.find((page) => page.menu && can(me, page.permission))?.pattern ?? null;
}

function Header({ me, path, onLogOut }: { me: Me; path: string; onLogOut: () => void }) {
  const menu = PAGES.filter((page) => page.menu && can(me, page.permission));
  return (
    <header class="app-header">
      <a class="brand" href="/">VMS</a>
      <nav class="menu" aria-label="Pages">
        {menu.map((page) => (
          <a href={page.pattern} class={path === page.pattern || path.startsWith(page.pattern + "/") ? "active" : ""}
            aria-current={path === page.pattern ? "page" : undefined}>{page.menu}</a>
        ))}
      </nav>
      {(can(me, PERMISSION.viewLive) || can(me, PERMISSION.viewRecordings)) && <AlarmBell />}
      <div class="who" data-testid="who">
        <span class="username">{me.username}</span>
        <span class="role">{me.role ?? "No role"}</span>
        <button type="button" class="link" onClick={onLogOut}>Log out</button>
      </div>
    </header>
  );
}

export function Shell({ me, onLogOut }: { me: Me; onLogOut: () => void }) {
  const { path } = useLocation();
  const home = path === "/";
  const start = firstPageFor(me);

  useEffect(() => {
    if (home && start) navigate(start, { replace: true });
  }, [home, start]);

  let content = null;
  let fill = false;
  if (home) {
    content = start ? null : (
      <div class="not-allowed">
        <h1>Nothing to show yet</h1>
        <p>Your account has no role. Ask an administrator to give you one.</p>
      </div>
    );
  } else {
    const found = PAGES.map((page) => ({ page, params: match(page.pattern, path) })).find((m) => m.params);
    if (!found) content = <NotFound />;
    else if (!can(me, found.page.permission)) content = <NotAllowed />;
    else {
      const Page = found.page.component;
      fill = Boolean(found.page.fill);
      content = <Page key={path} {...found.params} />;
    }
  }

  return (
    <div class="app" onClick={followLink}>
      <Header me={me} path={path} onLogOut={onLogOut} />
      <main class={fill ? "page page-fill" : "page"}>{content}</main>
    </div>
  );
}
