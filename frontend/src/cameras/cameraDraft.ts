/** The camera form's values, as typed (text for numbers), and their conversion to what the API takes. */

import type {
  AnalysisSource,
  Camera,
  CameraInput,
  DynamicMasking,
  MaskStyle,
  MetadataTransport,
  RecordingMode,
  Rotation,
} from "../api/types";

export interface CameraDraft {
  name: string;
  main_url: string;
  sub_url: string;
  username: string;
  password: string;
  enabled: boolean;
  recording_mode: RecordingMode;
  retention_days: string;
  retention_gib: string;
  cold_after_hours: string;
  rotation: Rotation;
  thermal: boolean;
  analytics_enabled: boolean;
  analytics_fps: string;
  analysis_source: AnalysisSource;
  metadata_transport: MetadataTransport;
  metadata_broker: string;
  metadata_username: string;
  metadata_password: string;
  metadata_topic: string;
  track_topic: string;
  dynamic_masking: DynamicMasking;
  dynamic_mask_style: MaskStyle;
  keep_unmasked: boolean;
  record_audio: boolean;
  onvif_host: string;
  onvif_port: string;
  listen_events: boolean;
  ptz_wide_angle: string;
  ptz_zoom_ratio: string;
  ptz_pan_range: string;
  ptz_tilt_range: string;
  ptz_digital: boolean;
  ptz_max_speed: string;
}

export const EMPTY_DRAFT: CameraDraft = {
  name: "",
  main_url: "",
  sub_url: "",
  username: "",
  password: "",
  enabled: true,
  recording_mode: "continuous",
  retention_days: "30",
  retention_gib: "",
  cold_after_hours: "",
  rotation: 0,
  thermal: false,
  analytics_enabled: false,
  analytics_fps: "5",
  analysis_source: "server",
  metadata_transport: "stream",
  metadata_broker: "",
  metadata_username: "",
  metadata_password: "",
  metadata_topic: "", track_topic: "",
  dynamic_masking: "",
  dynamic_mask_style: "blur",
  keep_unmasked: false,
  record_audio: false,
  onvif_host: "",
  onvif_port: "80",
  listen_events: false,
  ptz_wide_angle: "60",
  ptz_zoom_ratio: "20",
  ptz_pan_range: "360",
  ptz_tilt_range: "180",
  ptz_digital: false,
  ptz_max_speed: "2",
};

export function draftOf(camera: Camera): CameraDraft {
  return {
    name: camera.name,
    main_url: camera.main_url,
    sub_url: camera.sub_url,
    username: camera.username,
    password: "",
    enabled: camera.enabled,
    recording_mode: camera.recording_mode,
    retention_days: camera.retention_days?.toString() ?? "",
    retention_gib: camera.retention_gib?.toString() ?? "",
    cold_after_hours: camera.cold_after_hours?.toString() ?? "",
    rotation: camera.rotation,
    thermal: camera.thermal,
    analytics_enabled: camera.analytics_enabled,
    analytics_fps: String(camera.analytics_fps),
    analysis_source: camera.analysis_source,
    metadata_transport: camera.metadata_transport,
    metadata_broker: camera.metadata_broker,
    metadata_username: camera.metadata_username,
    metadata_password: "",
    metadata_topic: camera.metadata_topic,
    track_topic: camera.track_topic,
    dynamic_masking: camera.dynamic_masking,
    dynamic_mask_style: camera.dynamic_mask_style,
    keep_unmasked: camera.keep_unmasked,
    record_audio: camera.record_audio,
    onvif_host: camera.onvif_host,
    onvif_port: String(camera.onvif_port),
    listen_events: camera.listen_events,
    ptz_wide_angle: String(camera.ptz_wide_angle),
    ptz_zoom_ratio: String(camera.ptz_zoom_ratio),
    ptz_pan_range: String(camera.ptz_pan_range),
    ptz_tilt_range: String(camera.ptz_tilt_range),
    ptz_digital: camera.ptz_digital,
    ptz_max_speed: String(camera.ptz_max_speed),
  };
}

function numberOrNull(text: string): number | null {
  const trimmed = text.trim();
  return trimmed === "" ? null : Number(trimmed);
}

/** The passwords go only when typed, so an edit keeps the stored ones. */
export function inputOf(draft: CameraDraft): CameraInput {
  const input: CameraInput = {
    name: draft.name.trim(),
    main_url: draft.main_url.trim(),
    sub_url: draft.sub_url.trim(),
    username: draft.username,
    enabled: draft.enabled,
    recording_mode: draft.recording_mode,
    retention_days: numberOrNull(draft.retention_days),
    retention_gib: numberOrNull(draft.retention_gib),
    cold_after_hours: numberOrNull(draft.cold_after_hours),
    rotation: draft.rotation,
    thermal: draft.thermal,
    analytics_enabled: draft.analytics_enabled,
    analytics_fps: Number(draft.analytics_fps),
    analysis_source: draft.analysis_source,
    metadata_transport: draft.metadata_transport,
    metadata_broker: draft.metadata_broker.trim(),
    metadata_username: draft.metadata_username,
    metadata_topic: draft.metadata_topic.trim(),
    track_topic: draft.track_topic.trim(),
    dynamic_masking: draft.dynamic_masking,
    dynamic_mask_style: draft.dynamic_mask_style,
    keep_unmasked: draft.keep_unmasked,
    record_audio: draft.record_audio,
    onvif_host: draft.onvif_host.trim(),
    onvif_port: Number(draft.onvif_port),
    listen_events: draft.listen_events,
    ptz_wide_angle: Number(draft.ptz_wide_angle),
    ptz_zoom_ratio: Number(draft.ptz_zoom_ratio),
    ptz_pan_range: Number(draft.ptz_pan_range),
    ptz_tilt_range: Number(draft.ptz_tilt_range),
    ptz_digital: draft.ptz_digital,
    ptz_max_speed: Number(draft.ptz_max_speed),
  };
  if (draft.password) input.password = draft.password;
  if (draft.metadata_password) input.metadata_password = draft.metadata_password;
  return input;
}

/** A name from the address when the admin has not typed one: "192.168.1.20 stream1". */
export function suggestedName(url: string): string {
  try {
    const parsed = new URL(url);
    const path = parsed.pathname.split("/").filter(Boolean).pop() ?? "";
    return [parsed.hostname, path].filter(Boolean).join(" ");
  } catch {
    return "";
  }
}
