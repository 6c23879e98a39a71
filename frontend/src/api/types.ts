/** The shapes the API sends and takes (see /api/schema/). */

export type Role = "Admin" | "Operator" | "Investigator";

export interface Me {
  id: number;
  username: string;
  role: Role | null;
  permissions: string[];
}

export type CameraState = "unknown" | "online" | "offline" | "error" | "disabled";

export interface LiveStatus {
  state: CameraState;
  codec: string;
  width: number | null;
  height: number | null;
  fps: number | null;
  bitrate: number | null;
  last_frame_at: string | null;
  last_error: string;
  changed_at: string | null;
  recorder: string | null;
}

export type Rotation = 0 | 90 | 180 | 270;
export type RecordingMode = "continuous" | "off";

export interface Camera {
  id: number;
  name: string;
  main_url: string;
  sub_url: string;
  username: string;
  has_password: boolean;
  enabled: boolean;
  recording_mode: RecordingMode;
  retention_days: number | null;
  retention_gib: number | null;
  rotation: Rotation;
  live_status: LiveStatus;
  created_at: string;
  updated_at: string;
}

/** What the camera form sends; the password only when typed. */
export interface CameraInput {
  name: string;
  main_url: string;
  sub_url: string;
  username: string;
  password?: string;
  enabled: boolean;
  recording_mode: RecordingMode;
  retention_days: number | null;
  retention_gib: number | null;
  rotation: Rotation;
}

export interface StreamInfo {
  codec: string;
  width: number;
  height: number;
  fps: number | null;
  bitrate: number | null;
  browser_playable: boolean;
  /** The camera's first picture (data: URL of a JPEG), or null if none could be decoded. */
  snapshot: string | null;
}

/** A camera that answered a WS-Discovery probe. */
export interface DiscoveredDevice {
  host: string;
  port: number;
  xaddrs: string[];
  scopes: string[];
  name: string | null;
  hardware: string | null;
}

export interface OnvifProfile {
  token: string;
  name: string;
  encoding: string;
  width: number;
  height: number;
  fps: number | null;
  bitrate_kbps: number | null;
  stream_uri: string;
  snapshot_uri: string | null;
}

/** What an ONVIF camera says about itself, with its profiles largest first and the streams to use. */
export interface OnvifDevice {
  manufacturer: string;
  model: string;
  firmware: string;
  serial: string;
  profiles: OnvifProfile[];
  suggested_main_url: string;
  suggested_sub_url: string | null;
}

export interface User {
  id: number;
  username: string;
  first_name: string;
  last_name: string;
  email: string;
  is_active: boolean;
  role: Role | null;
  last_login: string | null;
  date_joined: string;
}

export interface UserInput {
  username: string;
  first_name: string;
  last_name: string;
  email: string;
  is_active: boolean;
  role: Role | null;
  password?: string;
}

export interface CameraAccess {
  id: number;
  camera: number;
  user: string | null;
  group: Role | null;
}

export interface AuditEntry {
  id: number;
  at: string;
  user: number | null;
  username: string;
  action: string;
  action_label: string;
  ip: string | null;
  user_agent: string;
  camera: number | null;
  camera_name: string;
  detail: Record<string, unknown>;
}

export interface Span {
  start: string;
  end: string;
}

export interface Timeline {
  camera: number;
  start: string;
  end: string;
  recorded: Span[];
  gaps: Span[];
  recorded_seconds: number;
}

export interface HealthCheck {
  ok: boolean;
  error?: string;
  [key: string]: unknown;
}

export interface RecorderReport {
  name: string;
  hostname: string;
  pid: number;
  started_at: string;
  heartbeat_at: string;
  alive: boolean;
  cameras: { id: number; name: string; status: CameraState; last_frame_at: string | null; last_error: string }[];
}

export interface Health {
  ok: boolean;
  database: HealthCheck & { engine?: string };
  redis: HealthCheck & { used?: boolean; detail?: string };
  disk: HealthCheck & { path: string; total_gib: number; free_gib: number; floor_gib: number };
  recorders: RecorderReport[];
  cameras_without_recorder: string[];
}

/** Live layout kept in the user's preferences. */
export interface LiveLayout {
  grid: 1 | 4 | 9 | 16;
  cameras: (number | null)[];
}

export interface Preferences {
  live?: LiveLayout;
  [key: string]: unknown;
}
