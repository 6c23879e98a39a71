/** Who steers a PTZ camera, asked every few seconds and updated by each command's answer; and the command that was
 * last refused (someone else steers: the 409 names them; or the camera said no), in plain words. */

import { useCallback, useEffect, useRef, useState } from "preact/hooks";
import { ptz } from "../api/endpoints";
import { ApiError, messageOf } from "../api/http";
import type { PtzControl, PtzControlState } from "../api/types";

/** Often enough to see someone else take over within a few seconds, rarely enough to cost nothing. */
const POLL_MS = 3000;

export interface PtzSession {
  /** Who steers it; null: nobody; undefined: not known yet. */
  control: PtzControl | null | undefined;
  /** Why the last command was refused; empty when it worked. */
  refusal: string;
  /** Send a command: its answer (who steers now) is kept, its refusal shown; resolves false when refused. */
  run: (command: () => Promise<PtzControlState | unknown>) => Promise<boolean>;
}

function isControlState(answer: unknown): answer is PtzControlState {
  return Boolean(answer) && typeof answer === "object" && "control" in (answer as object);
}

/** Words for who steers: "You have control", "oscar (Operator) has control", "An alarm has control". */
export function controlWords(control: PtzControl | null | undefined): string {
  if (control === undefined) return "Asking who has control…";
  if (control === null) return "Nobody has control: the first command takes it.";
  if (control.yours) return "You have control";
  if (control.by_alarm) return `An alarm has control${control.reason ? ` (${control.reason})` : ""}`;
  if (control.by_tour) return `A ${control.reason || "tour"} has control: any command takes over`;
  return `${control.username} (${control.role}) has control`;
}

/** `enabled` false (no PTZ, or not allowed to steer): nothing is asked. */
export function usePtzControl(camera: number, enabled: boolean): PtzSession {
  const [control, setControl] = useState<PtzControl | null | undefined>(undefined);
  const [refusal, setRefusal] = useState("");
  const alive = useRef(true);

  useEffect(() => {
    alive.current = true;
    if (!enabled) return;
    let timer = 0;
    const ask = () => {
      ptz.control(camera).then(
        (state) => { if (alive.current) setControl(state.control); },
        () => undefined, // the next poll asks again; commands say what is wrong
      ).finally(() => { if (alive.current) timer = window.setTimeout(ask, POLL_MS); });
    };
    ask();
    return () => { alive.current = false; window.clearTimeout(timer); };
  }, [camera, enabled]);

  const run = useCallback(async (command: () => Promise<PtzControlState | unknown>) => {
    try {
      const answer = await command();
      if (!alive.current) return true;
      if (isControlState(answer)) setControl(answer.control);
      setRefusal("");
      return true;
    } catch (error) {
      if (!alive.current) return false;
      if (error instanceof ApiError && error.problem.type === "ptz_control_held") {
        setControl((error.problem.errors as unknown as PtzControlState).control ?? null);
      }
      setRefusal(messageOf(error));
      return false;
    }
  }, []);

  return { control, refusal, run };
}
