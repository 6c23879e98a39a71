/** Push to talk on a live tile: hold the button (or Space or Enter on it) and speak; the camera's speaker plays it.
 * Says who else talks, or why it cannot, when refused. Shown only for a camera with a speaker, to users allowed to
 * talk. */

import { useEffect, useRef, useState } from "preact/hooks";
import { TalkBack, type TalkState } from "./talkBack";

export function TalkButton({ cameraId, name }: { cameraId: number; name: string }) {
  const talk = useRef<TalkBack | null>(null);
  const [state, setState] = useState<TalkState>({ state: "idle" });

  useEffect(() => () => talk.current?.stop(), [cameraId]);

  const start = () => {
    if (talk.current) return;
    talk.current = new TalkBack(cameraId, setState);
  };
  const stop = () => {
    talk.current?.stop();
    talk.current = null;
  };
  const pressed = state.state === "talking" || state.state === "connecting";
  const note = state.state === "refused" || state.state === "failed" ? state.detail : state.state === "talking" ? `Talking through ${name}'s speaker…` : "";

  return (
    <>
      <button type="button" class="talk-button" data-testid="talk-button" data-state={state.state} aria-pressed={pressed}
        title={`Hold to talk through ${name}'s speaker`}
        onClick={(event) => event.stopPropagation()}
        onPointerDown={(event) => { event.stopPropagation(); (event.currentTarget as HTMLElement).setPointerCapture(event.pointerId); start(); }}
        onPointerUp={stop} onPointerCancel={stop}
        onKeyDown={(event) => { if ((event.key === " " || event.key === "Enter") && !event.repeat) { event.preventDefault(); start(); } }}
        onKeyUp={(event) => { if (event.key === " " || event.key === "Enter") stop(); }}
        onBlur={stop}>
        Talk
      </button>
      {note && <div class={`talk-note talk-${state.state}`} role="status" data-testid="talk-note">{note}</div>}
    </>
  );
}
