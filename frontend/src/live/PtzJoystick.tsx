/** The joystick of a PTZ camera: arrows to pan and tilt, buttons to zoom, each moving the camera while held. A held
 * button repeats its move before the camera's own stop (`seconds`) runs out, so a lost release (a closed tab, a
 * dropped network) stops the camera by itself; letting go sends stop. */

import { useEffect, useRef, useState } from "preact/hooks";
import { ptz } from "../api/endpoints";
import type { PtzMove } from "../api/types";
import type { PtzSession } from "./usePtzControl";

const SPEED = 0.5;
/** The camera stops by itself this long after the last move it was sent. */
const MOVE_SECONDS = 1;
/** Repeat well within MOVE_SECONDS, allowing for a slow answer. */
const REPEAT_MS = 400;

interface Direction {
  name: string;
  label: string;
  symbol: string;
  move: PtzMove;
}

const PAN_TILT: Direction[] = [
  { name: "up", label: "Tilt up", symbol: "▲", move: { tilt: SPEED } },
  { name: "left", label: "Pan left", symbol: "◀", move: { pan: -SPEED } },
  { name: "right", label: "Pan right", symbol: "▶", move: { pan: SPEED } },
  { name: "down", label: "Tilt down", symbol: "▼", move: { tilt: -SPEED } },
];

const ZOOM: Direction[] = [
  { name: "zoom-in", label: "Zoom in", symbol: "+", move: { zoom: SPEED } },
  { name: "zoom-out", label: "Zoom out", symbol: "−", move: { zoom: -SPEED } },
];

interface Hold {
  timer: number;
  /** The move on its way, resolving whether the camera took it. */
  pending: Promise<boolean> | null;
}

export function PtzJoystick({ camera, session }: { camera: number; session: PtzSession }) {
  const held = useRef<Hold | null>(null);
  const [active, setActive] = useState<string | null>(null);

  function start({ name, move }: Direction) {
    if (held.current) return;
    const hold: Hold = { timer: 0, pending: null };
    held.current = hold;
    setActive(name);
    const send = () => {
      if (hold.pending) return; // the last one is still on its way
      hold.pending = session.run(() => ptz.move(camera, { ...move, seconds: MOVE_SECONDS })).then((moved) => {
        hold.pending = null;
        if (!moved && held.current === hold) {
          // Refused (someone else steers, the camera is unreachable): the panel says why; stop asking.
          window.clearInterval(hold.timer);
          held.current = null;
          setActive(null);
        }
        return moved;
      });
    };
    send();
    hold.timer = window.setInterval(send, REPEAT_MS);
  }

  async function release() {
    const hold = held.current;
    if (!hold) return;
    held.current = null;
    window.clearInterval(hold.timer);
    setActive(null);
    // A move still on its way could reach the camera after the stop and start it again: stop once it has arrived.
    const moved = await (hold.pending ?? Promise.resolve(true));
    if (moved) await session.run(() => ptz.stop(camera));
  }

  useEffect(() => {
    window.addEventListener("blur", release);
    return () => {
      window.removeEventListener("blur", release);
      void release();
    };
  }, [camera]);

  const button = (direction: Direction) => (
    <button type="button" key={direction.name} class={`ptz-${direction.name}`} aria-label={direction.label}
      title={`${direction.label} (hold)`} aria-pressed={active === direction.name} data-ptz={direction.name}
      onPointerDown={(event) => {
        if (event.button !== 0) return;
        event.preventDefault();
        start(direction);
      }}
      onPointerUp={release} onPointerLeave={release} onPointerCancel={release} onBlur={release}
      onKeyDown={(event) => {
        if ((event.key === " " || event.key === "Enter") && !event.repeat) {
          event.preventDefault();
          start(direction);
        }
      }}
      onKeyUp={(event) => { if (event.key === " " || event.key === "Enter") void release(); }}
      onContextMenu={(event) => event.preventDefault()}>
      {direction.symbol}
    </button>
  );

  return (
    <div class="ptz-joystick" data-testid="ptz-joystick">
      <div class="ptz-pad">{PAN_TILT.map(button)}</div>
      <div class="ptz-zoom">{ZOOM.map(button)}</div>
    </div>
  );
}
