/** Which camera's recordings to look at. */

import { useEffect, useState } from "preact/hooks";
import { cameras } from "../api/endpoints";
import type { Camera, RecordingMode } from "../api/types";
import { Empty, ErrorNote, Loading } from "../components/Notice";
import { StateBadge } from "../cameras/CameraStatus";

const RECORDING_WORDS: Record<RecordingMode, string> = {
  continuous: "Recording continuously",
  events: "Recording around events",
  off: "Not recording",
};

export function RecordingsIndexPage() {
  const [list, setList] = useState<Camera[] | null>(null);
  const [error, setError] = useState<unknown>(null);

  useEffect(() => {
    // A radar records nothing.
    cameras.list().then((found) => setList(found.filter((camera) => camera.kind === "camera")), setError);
  }, []);

  return (
    <section>
      <div class="page-title"><h1>Recordings</h1></div>
      <ErrorNote error={error} title="The cameras could not be loaded." />
      {!list && !error && <Loading what="cameras" />}
      {list && list.length === 0 && (
        <Empty><h2>No cameras yet</h2><p>Recordings appear here once cameras are added and recording.</p></Empty>
      )}
      {list && list.length > 0 && (
        <ul class="camera-cards">
          {list.map((camera) => (
            <li key={camera.id}>
              <a class="camera-card" href={`/recordings/${camera.id}`} data-camera-id={camera.id}>
                <strong>{camera.name}</strong>
                <StateBadge state={camera.live_status.state} />
                <span class="muted small">{RECORDING_WORDS[camera.recording_mode]}</span>
              </a>
            </li>
          ))}
        </ul>
      )}
    </section>
  );
}
