/** Who is logged in decides what shows: the login page, or the app with the pages the role may use. */

import { useCallback, useEffect, useState } from "preact/hooks";
import { auth } from "../api/endpoints";
import { ApiError, onLoggedOut } from "../api/http";
import type { Me } from "../api/types";
import { ErrorNote, Loading } from "../components/Notice";
import { LoginPage } from "./LoginPage";
import { navigate } from "./router";
import { SessionContext } from "./session";
import { Shell } from "./Shell";

type Session = { state: "checking" } | { state: "out" } | { state: "in"; me: Me } | { state: "failed"; error: unknown };

export function App() {
  const [session, setSession] = useState<Session>({ state: "checking" });

  const check = useCallback(async () => {
    try {
      setSession({ state: "in", me: await auth.me() });
    } catch (error) {
      setSession(error instanceof ApiError && (error.status === 401 || error.status === 403) ? { state: "out" } : { state: "failed", error });
    }
  }, []);

  useEffect(() => {
    check();
    return onLoggedOut(() => setSession({ state: "out" }));
  }, [check]);

  const logOut = useCallback(async () => {
    try {
      await auth.logout();
    } finally {
      // Whoever logs in next starts on their own first page, not on the last one's.
      navigate("/", { replace: true });
      setSession({ state: "out" });
    }
  }, []);

  switch (session.state) {
    case "checking":
      return <Loading />;
    case "failed":
      return (
        <main class="center-page">
          <ErrorNote error={session.error} title="The VMS cannot be reached." />
          <button type="button" onClick={check}>Try again</button>
        </main>
      );
    case "out":
      return <LoginPage onLoggedIn={check} />;
    case "in":
      return (
        <SessionContext.Provider value={session.me}>
          <Shell me={session.me} onLogOut={logOut} />
        </SessionContext.Provider>
      );
  }
}
