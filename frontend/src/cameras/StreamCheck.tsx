/** The result of probing a stream: its facts, or what went wrong in plain words and what to try. */

import { ApiError, messageOf } from "../api/http";
import type { StreamInfo } from "../api/types";
import { bitrate, codec, fps, resolution } from "../components/format";

const WHAT_TO_TRY: Record<string, string> = {
  unreachable: "Check the address, and that the camera is switched on and on the same network as the VMS.",
  refused: "The camera is there but nothing answers on that port. RTSP usually uses port 554.",
  unauthorized: "Check the username and password; many cameras lock out after several wrong tries.",
  not_found: "The camera has no stream at that path. Look up its RTSP path, or find it with ONVIF discovery.",
  timeout: "The camera did not send video in time. It may be overloaded or the network slow; try again.",
  unsupported_codec: "The VMS cannot record this codec. Switch the camera's stream to H.264 or H.265.",
  invalid_url: "Stream addresses look like rtsp://192.168.1.20:554/stream1.",
  no_video: "The stream has no video track. Pick another stream or profile of the camera.",
};

export type CheckState =
  | { state: "idle" }
  | { state: "checking" }
  | { state: "ok"; info: StreamInfo }
  | { state: "failed"; error: unknown };

export function StreamCheck({ check }: { check: CheckState }) {
  if (check.state === "idle") return null;
  if (check.state === "checking") {
    return <div class="stream-check checking" data-testid="probe-result" data-state="checking">Connecting to the camera…</div>;
  }
  if (check.state === "failed") {
    const type = check.error instanceof ApiError ? check.error.problem.type : "";
    const urlErrors = check.error instanceof ApiError ? check.error.fieldErrors("url") : [];
    return (
      <div class="stream-check failed" data-testid="probe-result" data-state="failed" data-reason={type} role="alert">
        <strong>The stream does not work.</strong> {urlErrors.length ? urlErrors.join(" ") : messageOf(check.error)}
        {WHAT_TO_TRY[type] && <div class="hint">{WHAT_TO_TRY[type]}</div>}
      </div>
    );
  }
  const { info } = check;
  const facts = [codec(info.codec), resolution(info.width, info.height), fps(info.fps), bitrate(info.bitrate)].filter(Boolean);
  return (
    <div class="stream-check ok" data-testid="probe-result" data-state="ok">
      <strong>The stream works.</strong> <span class="facts" data-testid="stream-facts">{facts.join(" · ")}</span>
      {info.snapshot && <img class="snapshot" src={info.snapshot} alt="What the camera sees" data-testid="snapshot" />}
      <div class="hint">
        {info.browser_playable
          ? "Browsers can play it live."
          : `Browsers cannot play ${codec(info.codec)} live: add an H.264 sub-stream for the live view. Recording works.`}
      </div>
    </div>
  );
}
