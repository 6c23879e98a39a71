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
/** "events" keeps only the footage around events, with each rule's pre- and post-roll. */
export type RecordingMode = "continuous" | "events" | "off";
/** How a masked part of the picture is hidden. */
export type MaskStyle = "solid" | "mosaic" | "blur";
/** What moves and is masked: "" nothing, "motion" everything that moves, "people" people, "background" all but people. */
export type DynamicMasking = "" | "motion" | "people" | "background";

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
  analytics_enabled: boolean;
  /** Frames analysed per second, 0.5-25. */
  analytics_fps: number;
  dynamic_masking: DynamicMasking;
  dynamic_mask_style: MaskStyle;
  /** An unmasked recording is kept too, for users allowed to see unmasked video. */
  keep_unmasked: boolean;
  /** % of one CPU core the masking of this camera uses, as the recorder measured it; null when not masked. */
  masking_cost: number | null;
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
  analytics_enabled: boolean;
  analytics_fps: number;
  dynamic_masking: DynamicMasking;
  dynamic_mask_style: MaskStyle;
  keep_unmasked: boolean;
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
  cameras: { id: number; name: string; state: CameraState; last_frame_at: string | null; last_error: string }[];
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

/** A point on the camera's picture as recorded (before rotation): x right, y down, each 0-1. */
export type Point = [number, number];

export type ZoneKind = "area" | "line";

/** An area (at least 3 points) or a line (exactly 2 points, A then B) that rules watch. */
export interface Zone {
  id: number;
  camera: number;
  name: string;
  kind: ZoneKind;
  points: Point[];
  color: string;
}

export type ZoneInput = Pick<Zone, "name" | "kind" | "points" | "color">;

export type RuleCondition = "enter" | "dwell" | "cross" | "count" | "motion" | "offline" | "tamper";
export type ObjectClass = "person" | "bicycle" | "car" | "motorcycle" | "bus" | "truck";
/** "a_to_b": from the left of A→B to its right, as seen walking from A to B on the picture. */
export type CrossingDirection = "any" | "a_to_b" | "b_to_a";
export type Severity = 1 | 2 | 3;

/** When a rule is active: on these days (0 is Monday), from start to end ("HH:MM"). */
export interface ScheduleWindow {
  days: number[];
  start: string;
  end: string;
}

export interface Rule {
  id: number;
  camera: number;
  name: string;
  enabled: boolean;
  condition: RuleCondition;
  zone: number | null;
  /** Empty: any object. */
  object_classes: ObjectClass[];
  dwell_seconds: number;
  direction: CrossingDirection;
  /** A count rule fires when more than this many objects are in the zone. */
  count_threshold: number;
  min_duration_seconds: number;
  /** Empty: always active. */
  schedule: ScheduleWindow[];
  severity: Severity;
  raise_alarm: boolean;
  record_event: boolean;
  pre_roll_seconds: number;
  post_roll_seconds: number;
  webhook_url: string;
  has_webhook_secret: boolean;
}

/** What the rule form sends; the webhook secret only when typed (the API never sends it back). */
export type RuleInput = Omit<Rule, "id" | "camera" | "has_webhook_secret"> & { webhook_secret?: string };

/** Where the tracked object was at wall-clock time `t`, as a box on the picture (0-1). */
export interface EventBox {
  t: string;
  x: number;
  y: number;
  w: number;
  h: number;
}

/** Something a rule saw happen (named so, not "Event", which is the DOM's). */
export interface CameraEvent {
  id: number;
  camera: number;
  camera_name: string;
  rule: number;
  rule_name: string;
  condition: RuleCondition;
  started_at: string;
  /** Null while it goes on. */
  ended_at: string | null;
  /** Empty for events about no object (motion, offline, tamper). */
  object_class: ObjectClass | "";
  track_id: number | null;
  snapshot_url: string | null;
  boxes: EventBox[];
  /** The alarm it raised, if any. */
  alarm: number | null;
}

export type CountBucket = "15min" | "hour" | "day";

/** Crossings of a line per direction, or entries into an area ("in"), of one class in one bucket. */
export interface Count {
  zone: number;
  zone_name: string;
  direction: "a_to_b" | "b_to_a" | "in";
  object_class: ObjectClass;
  bucket_start: string;
  count: number;
}

export interface Counts {
  bucket: CountBucket;
  results: Count[];
}

export interface WebhookDelivery {
  id: number;
  rule: number;
  event: number;
  url: string;
  status: "pending" | "delivered" | "failed";
  attempts: number;
  response_code: number | null;
  error: string;
  created_at: string;
  delivered_at: string | null;
}

/** An alarm a rule raised; active until someone acknowledges it. */
export interface Alarm {
  id: number;
  camera: number;
  camera_name: string;
  event: number;
  rule_name: string;
  severity: Severity;
  /** Empty for alarms about no object (motion, offline, tamper). */
  object_class: ObjectClass | "";
  raised_at: string;
  acknowledged_at: string | null;
  acknowledged_by: string | null;
  comment: string;
}

export type OverlayBoxState = "tracked" | "dwelling" | "alarm";

/** One tracked object on one analysed frame, as a box on the picture (0-1, before rotation). */
export interface OverlayBox {
  track: number;
  label: string;
  score: number;
  x: number;
  y: number;
  w: number;
  h: number;
  state: OverlayBoxState;
  /** The tag to show, e.g. "person 4s". */
  text: string;
}

/** The boxes of one analysed frame ("overlay.boxes"); an empty list clears the picture. */
export interface OverlayBoxes {
  camera: number;
  /** The frame's media time in seconds, on the live video's own timeline (video.currentTime). */
  pts: number;
  /** When the frame reached the server (Unix seconds). */
  frame_at: number;
  boxes: OverlayBox[];
}

/** An area of a camera's picture that nobody sees: masked in the stream before it is stored, shown or analysed. */
export interface PrivacyMask {
  id: number;
  camera: number;
  name: string;
  /** At least 3 points. */
  points: Point[];
  style: MaskStyle;
  color: string;
}

export type PrivacyMaskInput = Pick<PrivacyMask, "name" | "points" | "style" | "color">;

/** Leave to watch a camera unmasked until `expires_at`; the token goes with the live socket or the playlist. */
export interface UnmaskedAccess {
  token: string;
  expires_at: string;
}

/** What an export redacts wherever it is found: faces, people, or everything that moves. */
export type RedactKind = "faces" | "people" | "motion";

/** detecting → review (the investigator chooses what to mask) → rendering → done; or failed at any step. */
export type ExportStatus = "detecting" | "review" | "rendering" | "done" | "failed";

/** An area masked on every frame of an export. */
export interface ExportArea {
  points: Point[];
}

/** A redacted copy of a span of one camera's recordings, with a signed manifest. */
export interface Export {
  id: number;
  camera: number;
  camera_name: string;
  start: string;
  end: string;
  redact: RedactKind[];
  areas: ExportArea[];
  style: MaskStyle;
  reason: string;
  status: ExportStatus;
  /** 0-1 of the current step. */
  progress: number;
  error: string;
  requested_by: string;
  approved_by: string | null;
  created_at: string;
  finished_at: string | null;
  file_size: number | null;
  sha256: string | null;
  download_url: string | null;
  manifest_url: string | null;
  /** The source footage is kept past retention until released. */
  source_locked: boolean;
}

export type ExportInput = Pick<Export, "camera" | "start" | "end" | "redact" | "areas" | "style" | "reason">;

export type TrackKind = "face" | "person" | "motion";

/** Where a track's object was `t` seconds after the export's start, as a box on the picture (0-1). */
export interface TrackBox {
  t: number;
  x: number;
  y: number;
  w: number;
  h: number;
}

/** One object the detection followed through the exported span. */
export interface ExportTrack {
  id: number;
  kind: TrackKind;
  first: string;
  last: string;
  thumbnail_url: string;
  boxes: TrackBox[];
  masked: boolean;
}

/** A box the investigator adds where detection missed: masked from `t` until `until` (seconds from the start). */
export interface ManualBox extends TrackBox {
  until: number;
}

/** What the render masks: only the tracks ticked, and the boxes added by hand. */
export interface RenderInput {
  mask_only: number[];
  manual: ManualBox[];
}

/** The key whose private half signs export manifests. */
export interface SigningKey {
  algorithm: string;
  public_key_pem: string;
  fingerprint: string;
}

/** An export's progress, pushed over /ws/jobs/ ("job.progress"). */
export interface JobProgress {
  export: number;
  status: ExportStatus;
  progress: number;
}
