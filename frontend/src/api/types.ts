/**
 * The shapes the API sends and takes. Those of the API's objects are the types generated from its OpenAPI schema
 * (schema.d.ts, by `make api-types`), named here in the app's words; a field the schema cannot describe exactly
 * (a JSON field, a plain string that is really a choice) is narrowed here. Shapes the schema has not (socket
 * messages, the health report, preferences) are written out, reusing the generated ones where they match.
 */

import type { components } from "./schema";

type Schemas = components["schemas"];

export type Role = Schemas["RoleEnum"];

export type Me = Omit<Schemas["Me"], "role"> & { role: Role | null };

export type CameraState = Schemas["CameraStateEnum"];

/** A camera's live status: `live_status` of a camera, and the data of a "camera.status" socket message. */
export type LiveStatus = Schemas["CameraStatus"];

export type Rotation = Schemas["RotationEnum"];
/** "events" keeps only the footage around events, with each rule's pre- and post-roll. */
export type RecordingMode = Schemas["RecordingModeEnum"];
/** How a masked part of the picture is hidden. */
export type MaskStyle = Schemas["MaskStyleEnum"];
/** What moves and is masked: "" nothing, "motion" everything that moves, "people" people, "background" all but people. */
export type DynamicMasking = Schemas["DynamicMaskingEnum"] | Schemas["BlankEnum"];

/** What finds the objects on a camera: this server's detector, the camera's own analytics (its scene metadata), or both. */
export type AnalysisSource = Schemas["AnalysisSourceEnum"];

/** How the camera's own analytics metadata comes: in its RTSP stream (ONVIF Profile M) or over MQTT (AXIS Scene Metadata). */
export type MetadataTransport = Schemas["MetadataTransportEnum"];

/** The last switch of one of a camera's relay outputs, by a rule or by hand: `active` null when nobody knows (a switch
 * the camera refused before any worked), `error` why the last switch failed, empty when it worked. */
export type RelayState = Schemas["RelayState"];

/** `relay_outputs`: the last switch of each relay output, by its token. */
export type Camera = Schemas["Camera"];

/** A relay output as the camera lists it over ONVIF: its token, mode (Monostable or Bistable) and idle state. */
export type RelayOutput = Schemas["RelayOutput"];

/** "active" switches a relay output on, "inactive" off. */
export type RelayLogicalState = Schemas["RelaySwitchRequestStateEnum"];

/** A relay output switched by hand, as the camera now keeps it. */
export type RelaySwitch = Schemas["RelaySwitch"];

/** A device is a camera, a radar (objects with position and speed, no video; placed on a site plan) or an I/O module
 * (no video: its digital inputs are its ONVIF events, and rules switch its relay outputs). */
export type DeviceKind = Schemas["DeviceKindEnum"];

/** A floor plan or map of the site: devices are placed on it (fractions of its picture, y down) and a radar's zones
 * drawn on it; `width_m` is how many metres the picture's width spans. */
export type SitePlan = Schemas["SitePlan"];
export type Announcement = Schemas["Announcement"];
export type AnnouncementInput = Schemas["AnnouncementRequest"];

/** What the site plan form sends: the picture (a data: URL) on create, and on change only when replaced. */
export type SitePlanInput = Schemas["SitePlanRequest"];

/** What the camera form sends; the passwords only when typed. */
export type CameraInput = Schemas["CameraRequest"];

export type StreamInfo = Schemas["StreamInfo"];

/** What a PTZ camera can do ("centre": click to centre and drag a box to zoom): show only these controls. */
export type PtzCapability = Schemas["PtzCapabilitiesEnum"];

/** Who steers a PTZ camera: one person, or an alarm, at a time; `yours` when it is the one asking. */
export type PtzControl = Schemas["PtzControl"];

/** Who steers a PTZ camera now (null: nobody): what every PTZ command answers. */
export type PtzControlState = Schemas["PtzControlState"];

/** Where a PTZ camera looks (pan, tilt -1 to 1, zoom 0 to 1), whether it moves, and who steers it. */
export type PtzStatus = Schemas["PtzStatus"];

/** The joystick: speeds -1 to 1 (right, up, tele positive) for `seconds`, after which the camera stops by itself. */
export type PtzMove = Schemas["PtzMoveRequest"];

/** A point of the picture to bring to its middle (0-1 from the top left), with a box's size to zoom into it. */
export type PtzCentre = Schemas["PtzCentreRequest"];

export type PtzPreset = Schemas["PtzPreset"];

/** A PTZ camera's tour: its presets in order with their dwell times; `running` when it runs now. */
export type PtzTour = Omit<Schemas["PtzTour"], "schedule"> & { schedule?: ScheduleWindow[] };
export type PtzTourStep = Schemas["PtzTourStep"];
export type PtzTourInput = Pick<PtzTour, "name" | "steps"> & { schedule?: ScheduleWindow[]; enabled?: boolean };
/** The tour running on a camera, and where it is (`paused_by`: who has control while it waits). */
export type PtzTourRun = Schemas["PtzTourRun"];

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

export type User = Omit<Schemas["User"], "role"> & { role: Role | null };

export type UserInput = Omit<Schemas["UserRequest"], "role"> & { role: Role | null };

export type CameraAccess = Omit<Schemas["CameraAccess"], "group"> & { group: Role | null };

export type AuditEntry = Schemas["AuditEntry"];

/** From `start` up to `end`, as every span of the API. */
export type Span = Schemas["Span"];

export type Timeline = Schemas["Timeline"];

/** What the camera's own analytics saw in a span, frame by frame, as kept with its recording. */
export type SceneMetadata = Schemas["SceneMetadata"];

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
  // The cameras it stands by for (hot standby), to take them over from its memory.
  standing_by: { id: number; name: string }[];
}

/** One storage tier of the recordings: hot (where recorders write) or cold (where old footage moves). */
export interface TierReport {
  tier: "hot" | "cold";
  location: string;
  ok: boolean;
  error: string;
  used_bytes: number;
  free_bytes: number | null;
  days_left: number | null;
}

export interface Health {
  ok: boolean;
  database: HealthCheck & { engine?: string };
  redis: HealthCheck & { used?: boolean; detail?: string };
  disk: HealthCheck & { path: string; total_gib: number; free_gib: number; floor_gib: number };
  storage: HealthCheck & { location: string; waiting: { name: string; storage_error: string }[]; tiers: TierReport[] };
  recorders: RecorderReport[];
  cameras_without_recorder: string[];
  cameras_without_analytics: string[];
  analytics_problems: { camera: string; error: string }[];
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

export type ZoneKind = Schemas["ZoneKindEnum"];

/** An area (at least 3 points) or a line (exactly 2 points, A then B) that rules watch. */
export type Zone = Schemas["Zone"];

export type ZoneInput = Schemas["ZoneRequest"];

export type RuleCondition = Schemas["ConditionEnum"];
export type ObjectClass = Schemas["ObjectClassesEnum"];
/** "a_to_b": from the left of A→B to its right, as seen walking from A to B on the picture. */
export type CrossingDirection = Schemas["DirectionEnum"];
export type Severity = Schemas["SeverityEnum"];

/** When a rule is active: on these days (0 is Monday), from start to end ("HH:MM"). */
export type ScheduleWindow = Omit<Schemas["ScheduleWindow"], "days"> & { days: number[] };

export type Rule = Omit<Schemas["Rule"], "schedule"> & { schedule: ScheduleWindow[] };

/** What the rule form sends; the webhook secret only when typed (the API never sends it back). */
export type RuleInput = Omit<Rule, "id" | "camera" | "has_webhook_secret"> & { webhook_secret?: string };

/** What a camera reports itself (ONVIF), sorted by its topic: its own motion, tamper, an input, one of its analytics
 * rules, or any other topic. */
export type DeviceEventKind = Schemas["DeviceEventKindEnum"];

/** Something a camera reported itself (its own ONVIF event), with its source and data as {name: value}; `state` true
 * or false for a condition that holds or has ended, null for a one-off happening. */
export type DeviceEvent = Omit<Schemas["DeviceEvent"], "source" | "data"> & {
  source: Record<string, string>;
  data: Record<string, string>;
};

/** Where the tracked object was at wall-clock time `t`, as a box on the picture (0-1). */
export interface EventBox {
  t: string;
  x: number;
  y: number;
  w: number;
  h: number;
}

/** Something a rule saw happen (named so, not "Event", which is the DOM's); empty `object_class` for events about
 * no object (motion, offline, tamper), the kind of the camera's own event for a rule on those (camera_event). */
export type CameraEvent = Omit<Schemas["Event"], "boxes" | "object_class"> & {
  boxes: EventBox[];
  object_class: ObjectClass | DeviceEventKind | "";
};

export type CountBucket = "15min" | "hour" | "day";

/** Crossings of a line per direction, or entries into an area ("in"), of one class in one bucket. */
export type Count = Omit<Schemas["Count"], "direction" | "object_class"> & {
  direction: "a_to_b" | "b_to_a" | "in";
  object_class: ObjectClass;
};

export type Counts = { bucket: CountBucket; results: Count[] };

export type WebhookDelivery = Schemas["WebhookDelivery"];

/** An alarm a rule raised; active until someone acknowledges it. Empty `object_class` for alarms about no object, the
 * kind of the camera's own event for a rule on those. */
export type Alarm = Omit<Schemas["Alarm"], "object_class"> & { object_class: ObjectClass | DeviceEventKind | "" };

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
export type PrivacyMask = Schemas["PrivacyMask"];

export type PrivacyMaskInput = Schemas["PrivacyMaskRequest"];

/** Leave to watch a camera unmasked until `expires_at`; the token goes with the live socket or the playlist. */
export type UnmaskedAccess = Schemas["UnmaskedAccess"];

/** What an export redacts wherever it is found: faces, people, or everything that moves. */
export type RedactKind = Schemas["RedactEnum"];

/** detecting → review (the investigator chooses what to mask) → rendering → done; or failed at any step. */
export type ExportStatus = Schemas["ExportStatusEnum"];

/** An area masked on every frame of an export. */
export interface ExportArea {
  points: Point[];
}

/** A redacted copy of a span of one camera's recordings, with a signed manifest; its source footage is kept past
 * retention until released (`source_locked`). */
export type Export = Omit<Schemas["Export"], "redact" | "areas" | "kept_visible" | "manual"> & {
  redact: RedactKind[];
  areas: ExportArea[];
  kept_visible: number[];
  manual: ManualBox[];
};

export type ExportInput = Schemas["ExportRequest"];

export type TrackKind = "face" | "person" | "motion" | "text";

/** Where a track's object was `t` seconds after the export's start, as a box on the picture (0-1). */
export interface TrackBox {
  t: number;
  x: number;
  y: number;
  w: number;
  h: number;
}

/** One object the detection followed through the exported span. */
export type ExportTrack = Omit<Schemas["ExportTrack"], "kind" | "boxes"> & { kind: TrackKind; boxes: TrackBox[] };

/** A box the investigator adds where detection missed: masked from `t` until `until` (seconds from the start). */
export interface ManualBox extends TrackBox {
  until: number;
}

/** A span of the export whose frames are masked whole (seconds from its start, the end frame excluded). */
export type MaskedRange = Schemas["MaskedRange"];

/** A box drawn by hand on one frame (`drawn`) and the boxes the VMS followed it to, one per frame. */
export type FollowedBox = Schemas["FollowedBox"];

/** What the render masks: only the tracks ticked, the boxes added by hand or followed, the spans masked whole;
 * why each track left visible stays visible (`reasons`, by track id). */
export type RenderInput = Schemas["RenderRequest"];

/** The key whose private half signs export manifests. */
export type SigningKey = Schemas["SigningKey"];

/** An export's progress, pushed over /ws/jobs/ ("job.progress"). */
export type JobProgress = Pick<Export, "status" | "progress"> & { export: number };
