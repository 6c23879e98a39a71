/**
 * One camera's live picture, rotated as the camera is mounted, with what is wrong written over it and, for an
 * analysed camera, the boxes of the objects it tracks (each operator switches them on or off per camera). With an
 * unmasked-access token it shows the unmasked stream, badged so. A PTZ camera's may take clicks and boxes on its
 * picture to centre and zoom (CentreLayer). A camera with a speaker has push to talk, for users allowed to talk. A
 * camera whose sound is recorded gets a speaker button: its sound plays muted until the operator unmutes it.
 */

import type { ComponentChildren } from "preact";
import { useEffect, useMemo, useRef, useState } from "preact/hooks";
import type { PtzCentre, Rotation } from "../api/types";
import { UnmaskedBadge } from "../privacy/UnmaskedBadge";
import { CentreLayer } from "./CentreLayer";
import { LivePlayer, type LiveView } from "./livePlayer";
import { BoxSchedule } from "./overlay";
import { OverlayCanvas } from "./OverlayCanvas";
import { useOverlaySwitch } from "./overlaySwitch";
import { TalkButton } from "./TalkButton";

interface LiveTileProps {
  cameraId: number;
  name: string;
  rotation: Rotation;
  /** The camera is analysed: offer its boxes. */
  analytics: boolean;
  /** The token of an unmasked access: show the unmasked stream. */
  unmasked?: string | null;
  onOpen?: () => void;
  /** Click to centre is on: a click or a box on the picture is sent here. */
  onCentre?: (target: PtzCentre) => void;
  /** Offer push to talk (the camera has a speaker and the user may talk). */
  talk?: boolean;
  /** Controls drawn over the tile (the camera picker of the grid). */
  children?: ComponentChildren;
}

/** The picture's width/height after rotation; the frame takes this shape (portrait for 90 and 270). */
function aspect(view: LiveView): number {
  const width = view.width || 16;
  const height = view.height || 9;
  return view.rotation === 90 || view.rotation === 270 ? height / width : width / height;
}

export function LiveTile({ cameraId, name, rotation, analytics, unmasked = null, onOpen, onCentre, talk = false, children }: LiveTileProps) {
  const video = useRef<HTMLVideoElement>(null);
  const [view, setView] = useState<LiveView>({
    state: "connecting", message: "Connecting…", rotation, width: null, height: null, audio: false, muted: true,
  });
  const player = useRef<LivePlayer | null>(null);
  const schedule = useMemo(() => new BoxSchedule(), [cameraId]);
  const [boxesOn, setBoxesOn] = useOverlaySwitch(cameraId);

  useEffect(() => {
    const live = new LivePlayer(video.current!, cameraId, unmasked, rotation, setView, (boxes) => schedule.add(boxes));
    player.current = live;
    return () => live.stop();
  }, [cameraId, unmasked]);

  const portrait = view.rotation === 90 || view.rotation === 270;
  return (
    <div class="tile" data-camera-id={cameraId} data-state={view.state} data-rotation={view.rotation}
      data-testid="live-tile" onClick={onOpen} title={onOpen ? `Open ${name}` : undefined}>
      <div class="tile-frame" style={{ "--aspect": String(aspect(view)) }}>
        <video ref={video} class={`rotate-${view.rotation}${portrait ? " portrait" : ""}`} muted playsInline autoplay />
        {analytics && boxesOn && <OverlayCanvas camera={cameraId} video={video} schedule={schedule} rotation={view.rotation} />}
        {onCentre && <CentreLayer video={video} rotation={view.rotation} onCentre={onCentre} />}
      </div>
      <div class="tile-label"><span class={`dot dot-${view.state}`} />{name}</div>
      {unmasked && <UnmaskedBadge />}
      {analytics && (
        <button type="button" class="overlay-switch" aria-pressed={boxesOn} title={boxesOn ? "Hide the boxes" : "Show the boxes"}
          onClick={(event) => { event.stopPropagation(); setBoxesOn(!boxesOn); }}>Boxes</button>
      )}
      {talk && <TalkButton cameraId={cameraId} name={name} />}
      {view.audio && (
        <button type="button" class="sound-switch" aria-pressed={!view.muted} data-testid="sound-switch"
          title={view.muted ? "Unmute the sound" : "Mute the sound"} aria-label={view.muted ? "Unmute" : "Mute"}
          onClick={(event) => { event.stopPropagation(); player.current?.setMuted(!view.muted); }}>
          {view.muted ? "🔇" : "🔊"}
        </button>
      )}
      {view.message && <div class={`tile-message tile-${view.state}`} role="status">{view.message}</div>}
      {children}
    </div>
  );
}
