/** The logged-in user, shared with every component through a context. */

import { createContext } from "preact";
import { useContext } from "preact/hooks";
import type { Me } from "../api/types";
import { can, type Permission } from "./permissions";

export const SessionContext = createContext<Me | null>(null);

export function useMe(): Me {
  const me = useContext(SessionContext);
  if (!me) throw new Error("useMe() outside a logged-in page");
  return me;
}

export function useCan(permission: Permission): boolean {
  return can(useContext(SessionContext), permission);
}
