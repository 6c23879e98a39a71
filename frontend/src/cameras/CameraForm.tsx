/**
 * Add or edit a camera: its streams (checked against the real camera), its name, recording, rotation, whether it is
 * thermal, analysis (by this server, by the camera's own analytics in its stream or over MQTT, or both), privacy
 * masking, whether its own events (ONVIF) are received, and (saved, with an ONVIF host) whether it has PTZ.
 */

import { useState } from "preact/hooks";
import { cameras } from "../api/endpoints";
import type { AnalysisSource, Camera, DynamicMasking, MaskStyle, MetadataTransport, RecordingMode, Rotation } from "../api/types";
import { PERMISSION } from "../app/permissions";
import { useCan } from "../app/session";
import { Field, fieldErrors, FormErrors } from "../components/Field";
import { DYNAMIC_MASKING, MASK_STYLES, maskingCostWords } from "../privacy/maskWords";
import { inputOf, type CameraDraft } from "./cameraDraft";
import { LoginFields } from "./LoginFields";
import { MqttFields } from "./MqttFields";
import { OnvifAddressFields } from "./OnvifAddressFields";
import { PtzCheck } from "./PtzCheck";
import { StreamCheck, type CheckState } from "./StreamCheck";
import { useDeviceSave } from "./useDeviceSave";

const ANALYSIS_SOURCES: [AnalysisSource, string][] = [
  ["server", "This server (it decodes the video and detects objects)"],
  ["camera", "The camera's own analytics (its scene metadata; the video is not decoded)"],
  ["both", "Both (the camera's metadata, and this server's detection where the camera reports nothing)"],
];

const METADATA_TRANSPORTS: [MetadataTransport, string][] = [
  ["stream", "In its RTSP stream (ONVIF Profile M metadata track)"],
  ["mqtt", "Over MQTT (AXIS Scene Metadata)"],
];

interface CameraFormProps {
  draft: CameraDraft;
  onChange: (draft: CameraDraft) => void;
  /** The camera being edited; absent when adding one. */
  camera?: Camera;
  submitLabel: string;
  onSaved: (camera: Camera) => void;
  onCancel: () => void;
}

export function CameraForm({ draft, onChange, camera, submitLabel, onSaved, onCancel }: CameraFormProps) {
  const canSeeCameraEvents = useCan(PERMISSION.viewDeviceEvents);
  const canChange = useCan(PERMISSION.changeCamera);
  const [check, setCheck] = useState<CheckState>({ state: "idle" });
  const { saving, error, form, submit } = useDeviceSave(() => {
    const input = inputOf(draft);
    return camera ? cameras.update(camera.id, input) : cameras.create(input);
  }, onSaved);
  const sourceErrors = fieldErrors(error, "analysis_source");
  const transportErrors = fieldErrors(error, "metadata_transport");

  const set = <K extends keyof CameraDraft>(key: K, value: CameraDraft[K]) => {
    onChange({ ...draft, [key]: value });
    if (key === "main_url" || key === "username" || key === "password") setCheck({ state: "idle" });
  };

  async function checkStream() {
    setCheck({ state: "checking" });
    try {
      // An unchanged saved camera is checked with its stored password, which the browser never sees.
      const unchanged = camera && !draft.password && draft.main_url === camera.main_url && draft.username === camera.username;
      const info = unchanged
        ? await cameras.probeSaved(camera.id)
        : await cameras.probe(draft.main_url.trim(), draft.username, draft.password);
      setCheck({ state: "ok", info });
    } catch (failure) {
      setCheck({ state: "failed", error: failure });
    }
  }

  return (
    <form ref={form} class="camera-form" onSubmit={submit} data-testid="camera-form">
      <fieldset class="card">
        <legend>Stream</legend>
        <Field label="Main stream address" name="main_url" error={error} wide
          hint="The full-quality stream that is recorded, e.g. rtsp://192.168.1.20:554/stream1">
          <input name="main_url" required value={draft.main_url} placeholder="rtsp://" spellcheck={false}
            onInput={(e) => set("main_url", e.currentTarget.value)} />
        </Field>
        <LoginFields username={draft.username} password={draft.password} hasPassword={!!camera?.has_password}
          error={error} set={set} />
        <div class="actions left">
          <button type="button" onClick={checkStream} disabled={!draft.main_url.trim() || check.state === "checking"}>
            Check stream
          </button>
        </div>
        <StreamCheck check={check} />
        <Field label="Sub-stream address (optional)" name="sub_url" error={error} wide
          hint="A smaller stream for the live grid; needed when the main stream is H.265.">
          <input name="sub_url" value={draft.sub_url} placeholder="rtsp://" spellcheck={false}
            onInput={(e) => set("sub_url", e.currentTarget.value)} />
        </Field>
      </fieldset>

      <fieldset class="card">
        <legend>Camera</legend>
        <Field label="Name" name="name" error={error} hint="How operators know it, e.g. Loading dock">
          <input name="name" required maxLength={120} value={draft.name} onInput={(e) => set("name", e.currentTarget.value)} />
        </Field>
        <div class="field-row">
          <Field label="Recording" name="recording_mode" error={error}>
            <select name="recording_mode" value={draft.recording_mode}
              onChange={(e) => set("recording_mode", e.currentTarget.value as RecordingMode)}>
              <option value="continuous">Continuous</option>
              <option value="events">On events only (with pre- and post-roll)</option>
              <option value="off">Off</option>
            </select>
          </Field>
          <Field label="Keep recordings (days)" name="retention_days" error={error} hint="Empty: no day limit">
            <input name="retention_days" type="number" min={1} step={1} value={draft.retention_days}
              onInput={(e) => set("retention_days", e.currentTarget.value)} />
          </Field>
          <Field label="At most (GiB)" name="retention_gib" error={error} hint="Empty: no size limit">
            <input name="retention_gib" type="number" min={0.01} step="any" value={draft.retention_gib}
              onInput={(e) => set("retention_gib", e.currentTarget.value)} />
          </Field>
          <Field label="Move to cold storage after (hours)" name="cold_after_hours" error={error}
            hint="Only with a cold tier. Empty: only when the hot disk passes its high-water mark">
            <input name="cold_after_hours" type="number" min={0.01} step="any" value={draft.cold_after_hours}
              onInput={(e) => set("cold_after_hours", e.currentTarget.value)} />
          </Field>
        </div>
        <div class="field-row">
          <Field label="Rotation" name="rotation" error={error} hint="90° and 270° show a corridor (portrait) picture.">
            <select name="rotation" value={String(draft.rotation)}
              onChange={(e) => set("rotation", Number(e.currentTarget.value) as Rotation)}>
              <option value="0">None</option>
              <option value="90">90° clockwise</option>
              <option value="180">180°</option>
              <option value="270">270° clockwise</option>
            </select>
          </Field>
          <label class="checkbox">
            <input type="checkbox" name="enabled" checked={draft.enabled} onChange={(e) => set("enabled", e.currentTarget.checked)} />
            Camera switched on (off: no recording, no live video)
          </label>
        </div>
        <label class="checkbox">
          <input type="checkbox" name="thermal" checked={draft.thermal} onChange={(e) => set("thermal", e.currentTarget.checked)} />
          Thermal camera (shapes and temperatures, no faces)
        </label>
      </fieldset>

      <fieldset class="card">
        <legend>Analytics</legend>
        <label class="checkbox">
          <input type="checkbox" name="analytics_enabled" checked={draft.analytics_enabled}
            onChange={(e) => set("analytics_enabled", e.currentTarget.checked)} />
          Analyse this camera
        </label>
        <fieldset class={`choices${sourceErrors.length ? " field-invalid" : ""}`} disabled={!draft.analytics_enabled}>
          <legend>What finds the objects</legend>
          {ANALYSIS_SOURCES.map(([value, words]) => (
            <label class="checkbox-inline">
              <input type="radio" name="analysis_source" value={value} checked={draft.analysis_source === value}
                onChange={() => set("analysis_source", value)} />
              {words}
            </label>
          ))}
          {sourceErrors.map((message) => <span class="field-error" role="alert">{message}</span>)}
        </fieldset>
        {draft.analysis_source !== "camera" && (
          <Field label="Frames analysed per second" name="analytics_fps" error={error}
            hint="More frames follow fast objects better and cost more processing; 5 suits people and cars.">
            <input name="analytics_fps" type="number" required min={0.5} max={25} step="any" value={draft.analytics_fps}
              disabled={!draft.analytics_enabled} onInput={(e) => set("analytics_fps", e.currentTarget.value)} />
          </Field>
        )}
        {draft.analysis_source !== "server" && (
          <fieldset class="form-part" disabled={!draft.analytics_enabled} data-testid="scene-metadata">
            <legend>Camera's scene metadata</legend>
            <fieldset class={`choices${transportErrors.length ? " field-invalid" : ""}`}>
              <legend>Metadata comes</legend>
              {METADATA_TRANSPORTS.map(([value, words]) => (
                <label class="checkbox-inline">
                  <input type="radio" name="metadata_transport" value={value} checked={draft.metadata_transport === value}
                    onChange={() => set("metadata_transport", value)} />
                  {words}
                </label>
              ))}
              {transportErrors.map((message) => <span class="field-error" role="alert">{message}</span>)}
            </fieldset>
            {draft.metadata_transport === "mqtt" && (
              <MqttFields values={draft} set={set} error={error} hasPassword={!!camera?.has_metadata_password}
                topicHint="The MQTT topic the camera publishes its frame metadata on, e.g. axis/B8A44F000000/scene/frame" />
            )}
          </fieldset>
        )}
        {camera?.analytics_notice && (
          <div class="notice notice-warning" data-testid="analytics-notice">{camera.analytics_notice}</div>
        )}
        {camera?.analytics_enabled && camera.live_status.analytics_error && (
          <p class="status-error" data-testid="analytics-error">Analytics: {camera.live_status.analytics_error}</p>
        )}
        {camera && <a href={`/cameras/${camera.id}/analytics`}>Zones, rules and counts of this camera</a>}
      </fieldset>

      <fieldset class="card">
        <legend>Privacy</legend>
        <div class="field-row">
          <Field label="Dynamic masking" name="dynamic_masking" error={error}
            hint="Masked in the stream itself: live video, recordings and exports. “Everything that moves” suits steady indoor light; people and background use person detection.">
            <select name="dynamic_masking" value={draft.dynamic_masking}
              onChange={(e) => set("dynamic_masking", e.currentTarget.value as DynamicMasking)}>
              {DYNAMIC_MASKING.map(([value, words]) => <option value={value}>{words}</option>)}
            </select>
          </Field>
          <Field label="Dynamic mask style" name="dynamic_mask_style" error={error}>
            <select name="dynamic_mask_style" value={draft.dynamic_mask_style} disabled={!draft.dynamic_masking}
              onChange={(e) => set("dynamic_mask_style", e.currentTarget.value as MaskStyle)}>
              {MASK_STYLES.map(([value, words]) => <option value={value}>{words}</option>)}
            </select>
          </Field>
        </div>
        <label class="checkbox">
          <input type="checkbox" name="keep_unmasked" checked={draft.keep_unmasked}
            onChange={(e) => set("keep_unmasked", e.currentTarget.checked)} />
          Keep an unmasked recording (visible only to users allowed to see unmasked video)
        </label>
        {camera && camera.masking_cost !== null && (
          <p class="muted" data-testid="masking-cost">{maskingCostWords(camera.masking_cost)}</p>
        )}
        <label class="checkbox">
          <input type="checkbox" name="record_audio" checked={draft.record_audio}
            onChange={(e) => set("record_audio", e.currentTarget.checked)} />
          Record sound, and let operators listen live (sound is personal data: turning this on or off is audited)
        </label>
        {camera && <a href={`/cameras/${camera.id}/privacy`}>Privacy masks of this camera</a>}
      </fieldset>

      <fieldset class="card">
        <legend>Camera events (ONVIF)</legend>
        <OnvifAddressFields host={draft.onvif_host} port={draft.onvif_port} example="192.168.1.20" required={false}
          error={error} set={set} />
        <label class="checkbox">
          <input type="checkbox" name="listen_events" checked={draft.listen_events}
            onChange={(e) => set("listen_events", e.currentTarget.checked)} />
          Receive the camera's own events
        </label>
        <p class="field-hint">
          Its motion, tamper, inputs and analytics, logged in with the username and password above. Rules on “The camera
          reports an event” act on them.
        </p>
        {camera?.listen_events && camera.events_error && (
          <p class="status-error" data-testid="events-error">Camera events: {camera.events_error}</p>
        )}
        {camera && canSeeCameraEvents && <a href={`/camera-events?camera=${camera.id}`}>Events this camera reported</a>}
        {camera?.onvif_host && canChange && (
          <PtzCheck camera={camera}
            changed={draft.onvif_host.trim() !== camera.onvif_host || String(draft.onvif_port) !== String(camera.onvif_port)} />
        )}
        {camera?.ptz && (
          <div data-testid="ptz-optics">
            <p class="muted small">
              Its optics, from its datasheet: where its privacy masks, fixed to the scene, land as it pans, tilts and zooms.
            </p>
            <div class="field-row">
              <Field label="Field of view, widest (°)" name="ptz_wide_angle" error={error} hint="Across, at zoom 0">
                <input name="ptz_wide_angle" type="number" min={1} max={180} step="any" value={draft.ptz_wide_angle}
                  onInput={(e) => set("ptz_wide_angle", e.currentTarget.value)} />
              </Field>
              <Field label="Zoom ratio" name="ptz_zoom_ratio" error={error} hint="30 for a 30x camera">
                <input name="ptz_zoom_ratio" type="number" min={1} max={100} step="any" value={draft.ptz_zoom_ratio}
                  onInput={(e) => set("ptz_zoom_ratio", e.currentTarget.value)} />
              </Field>
              <Field label="Pan range (°)" name="ptz_pan_range" error={error} hint="360: turns all the way round">
                <input name="ptz_pan_range" type="number" min={0} max={360} step="any" value={draft.ptz_pan_range}
                  onInput={(e) => set("ptz_pan_range", e.currentTarget.value)} />
              </Field>
              <Field label="Tilt range (°)" name="ptz_tilt_range" error={error}>
                <input name="ptz_tilt_range" type="number" min={0} max={360} step="any" value={draft.ptz_tilt_range}
                  onInput={(e) => set("ptz_tilt_range", e.currentTarget.value)} />
              </Field>
              <Field label="Top speed" name="ptz_max_speed" error={error} hint="Position units (-1 to 1) a second">
                <input name="ptz_max_speed" type="number" min={0.01} max={100} step="any" value={draft.ptz_max_speed}
                  onInput={(e) => set("ptz_max_speed", e.currentTarget.value)} />
              </Field>
            </div>
            <label class="checkbox">
              <input type="checkbox" name="ptz_digital" checked={draft.ptz_digital}
                onChange={(e) => set("ptz_digital", e.currentTarget.checked)} />
              Digital PTZ (it crops its wide picture)
            </label>
          </div>
        )}
      </fieldset>

      <FormErrors error={error} />
      <div class="actions">
        <button type="button" onClick={onCancel}>Cancel</button>
        <button type="submit" class="primary" disabled={saving}>{saving ? "Saving…" : submitLabel}</button>
      </div>
    </form>
  );
}
