/** Every API call the app makes, by resource; pages import these, never URLs. */

import { del, get, getAll, patch, post, put, query, request } from "./http";
import type {
  Announcement,
  AnnouncementInput,
  Alarm,
  AuditEntry,
  Camera,
  CameraAccess,
  CameraEvent,
  CameraInput,
  CountBucket,
  Counts,
  DeviceEvent,
  Health,
  Me,
  DiscoveredDevice,
  Export,
  ExportInput,
  ExportTrack,
  FollowedBox,
  OnvifDevice,
  Preferences,
  PrivacyMask,
  PrivacyMaskInput,
  PtzCentre,
  PtzControlState,
  PtzMove,
  PtzPreset,
  PtzStatus,
  PtzTour,
  PtzTourInput,
  PtzTourRun,
  RelayLogicalState,
  RelayOutput,
  RelaySwitch,
  RenderInput,
  Rule,
  RuleInput,
  SceneMetadata,
  SigningKey,
  SitePlan,
  SitePlanInput,
  StreamInfo,
  Timeline,
  TrackBox,
  UnmaskedAccess,
  User,
  UserInput,
  WebhookDelivery,
  Zone,
  ZoneInput,
} from "./types";
import type { Page } from "./http";

const API = "/api/v1";

export const auth = {
  me: () => get<Me>(`${API}/auth/me/`),
  login: (username: string, password: string) => post<{ username: string }>(`${API}/auth/login/`, { username, password }),
  logout: () => post<void>(`${API}/auth/logout/`),
  preferences: () => get<Preferences>(`${API}/auth/me/preferences/`),
  savePreferences: (preferences: Preferences) => put<Preferences>(`${API}/auth/me/preferences/`, preferences),
};

export const cameras = {
  list: (signal?: AbortSignal) => getAll<Camera>(`${API}/cameras/`, signal),
  get: (id: number) => get<Camera>(`${API}/cameras/${id}/`),
  create: (input: CameraInput) => post<Camera>(`${API}/cameras/`, input),
  update: (id: number, input: Partial<CameraInput>) => patch<Camera>(`${API}/cameras/${id}/`, input),
  remove: (id: number) => del(`${API}/cameras/${id}/`),
  probe: (url: string, username: string, password: string) =>
    post<StreamInfo>(`${API}/cameras/probe/`, { url, username, password }),
  probeSaved: (id: number) => post<StreamInfo>(`${API}/cameras/${id}/probe/`),
  /** Audited; the reason is kept with the view. */
  unmaskedAccess: (id: number, reason: string) => post<UnmaskedAccess>(`${API}/cameras/${id}/unmasked-access/`, { reason }),
  /** Asked of the camera over ONVIF; 502 when it cannot be asked (no ONVIF host, unreachable, wrong password). */
  relayOutputs: (id: number) => get<RelayOutput[]>(`${API}/cameras/${id}/relay-outputs/`),
  /** By hand, audited; with `seconds`, on for that long only (a pulse). 404 for an output the camera has not, 502
   * when it cannot be asked. */
  switchRelay: (id: number, token: string, state: RelayLogicalState, seconds?: number) =>
    post<RelaySwitch>(`${API}/cameras/${id}/relay-outputs/${encodeURIComponent(token)}/`,
      seconds ? { state, seconds } : { state }),
};

const ptzOf = (camera: number) => `${API}/cameras/${camera}/ptz`;

/** Steering a PTZ camera. Every command takes control of it for whoever sends it and answers who has it; while
 * someone else steers, a 409 (type ptz_control_held) names them in errors.control. A camera without PTZ is a 404. */
export const ptz = {
  status: (camera: number) => get<PtzStatus>(`${ptzOf(camera)}/`),
  /** Who steers it, without asking the camera. */
  control: (camera: number) => get<PtzControlState>(`${ptzOf(camera)}/control/`),
  takeControl: (camera: number) => post<PtzControlState>(`${ptzOf(camera)}/control/`),
  handBack: (camera: number) => del(`${ptzOf(camera)}/control/`),
  /** The camera stops by itself `seconds` after, unless the move is sent again. */
  move: (camera: number, move: PtzMove) => post<PtzControlState>(`${ptzOf(camera)}/move/`, move),
  stop: (camera: number) => post<PtzControlState>(`${ptzOf(camera)}/stop/`),
  /** Only for a camera whose ptz_capabilities has "centre" (409 otherwise). */
  centre: (camera: number, target: PtzCentre) => post<PtzControlState>(`${ptzOf(camera)}/centre/`, target),
  home: (camera: number) => post<PtzControlState>(`${ptzOf(camera)}/home/`),
  presets: (camera: number) => get<PtzPreset[]>(`${ptzOf(camera)}/presets/`),
  /** Where the camera looks now, under this name. */
  savePreset: (camera: number, name: string) => post<PtzPreset>(`${ptzOf(camera)}/presets/`, { name }),
  renamePreset: (camera: number, token: string, name: string) =>
    patch<PtzPreset>(`${ptzOf(camera)}/presets/${encodeURIComponent(token)}/`, { name }),
  deletePreset: (camera: number, token: string) => del(`${ptzOf(camera)}/presets/${encodeURIComponent(token)}/`),
  goToPreset: (camera: number, token: string) =>
    post<PtzControlState>(`${ptzOf(camera)}/presets/${encodeURIComponent(token)}/go/`),
  tours: (camera: number) => get<PtzTour[]>(`${ptzOf(camera)}/tours/`),
  createTour: (camera: number, tour: PtzTourInput) => post<PtzTour>(`${ptzOf(camera)}/tours/`, tour),
  updateTour: (camera: number, id: number, tour: PtzTourInput) =>
    patch<PtzTour>(`${ptzOf(camera)}/tours/${id}/`, tour),
  deleteTour: (camera: number, id: number) => del(`${ptzOf(camera)}/tours/${id}/`),
  /** The tour moves the camera whenever nobody else has control of it. */
  startTour: (camera: number, id: number) => post<PtzTourRun>(`${ptzOf(camera)}/tours/${id}/start/`),
  stopTour: (camera: number, id: number) => post<void>(`${ptzOf(camera)}/tours/${id}/stop/`),
  /** Ask the camera over ONVIF whether it has PTZ; the camera as now kept (its `ptz`, `ptz_capabilities`). */
  detect: (camera: number) => post<Camera>(`${ptzOf(camera)}/detect/`),
};

/** Floor plans and maps; the picture itself is at each plan's `image_url`. */
export const sitePlans = {
  list: () => getAll<SitePlan>(`${API}/site-plans/`),
  get: (id: number) => get<SitePlan>(`${API}/site-plans/${id}/`),
  create: (input: SitePlanInput) => post<SitePlan>(`${API}/site-plans/`, input),
  update: (id: number, input: Partial<SitePlanInput>) => patch<SitePlan>(`${API}/site-plans/${id}/`, input),
  remove: (id: number) => del(`${API}/site-plans/${id}/`),
  /** The plan's picture; a replaced picture gets a new address, so no browser shows the old one from its cache. */
  pictureUrl: (plan: SitePlan) => `${plan.image_url}${query({ v: plan.updated_at })}`,
};

export const announcements = {
  list: () => get<Announcement[]>(`${API}/announcements/`),
  create: (input: AnnouncementInput) => post<Announcement>(`${API}/announcements/`, input),
  remove: (id: number) => del(`${API}/announcements/${id}/`),
};

export const onvif = {
  discover: (timeout = 3) => post<{ devices: DiscoveredDevice[] }>(`${API}/onvif/discovery/`, { timeout }),
  profiles: (host: string, port: number, username: string, password: string) =>
    post<OnvifDevice>(`${API}/onvif/profiles/`, { host, port, username, password }),
};

export const users = {
  list: () => getAll<User>(`${API}/users/`),
  create: (input: UserInput) => post<User>(`${API}/users/`, input),
  update: (id: number, input: Partial<UserInput>) => patch<User>(`${API}/users/${id}/`, input),
};

export const cameraAccess = {
  list: () => getAll<CameraAccess>(`${API}/camera-access/`),
  grant: (camera: number, who: { user: string } | { group: string }) =>
    post<CameraAccess>(`${API}/camera-access/`, { camera, ...who }),
  revoke: (id: number) => del(`${API}/camera-access/${id}/`),
};

export interface AuditFilters {
  action?: string;
  username?: string;
  camera?: string;
  start?: string;
  end?: string;
}

export const audit = {
  list: (filters: AuditFilters, limit: number, offset: number) =>
    get<Page<AuditEntry>>(`${API}/audit/${query({ ...filters, limit, offset })}`),
};

export const health = {
  // 503 carries the same report, with ok false.
  get: () => request<Health>(`${API}/health/`, { acceptStatus: [503] }),
};

export const recordings = {
  timeline: (camera: number, start: Date, end: Date, signal?: AbortSignal) =>
    get<Timeline>(`${API}/cameras/${camera}/timeline/${query({ start: start.toISOString(), end: end.toISOString() })}`, signal),
  /** The camera's own boxes of each recorded frame in a span of at most an hour. */
  sceneMetadata: (camera: number, start: Date, end: Date, signal?: AbortSignal) =>
    get<SceneMetadata>(`${API}/cameras/${camera}/scene-metadata/${query({ start: start.toISOString(), end: end.toISOString() })}`,
      signal),
  /** The playlist of the footage of a span from `at` (an hour of it; its Link header names the next), as part of the
   * audited `playback` when given; with an unmasked-access token, of the unmasked recording. */
  playlistUrl: (camera: number, start: Date, end: Date, at: Date, unmasked: string | null = null, playback: string | null = null) =>
    `${API}/cameras/${camera}/playlist.m3u8${query({ start: start.toISOString(), end: end.toISOString(), at: at.toISOString(), unmasked, playback })}`,
  clipUrl: (camera: number, start: Date, end: Date) =>
    `${API}/cameras/${camera}/clip/${query({ start: start.toISOString(), end: end.toISOString() })}`,
};

export const zones = {
  list: (camera: number) => getAll<Zone>(`${API}/cameras/${camera}/zones/`),
  create: (camera: number, input: ZoneInput) => post<Zone>(`${API}/cameras/${camera}/zones/`, input),
  update: (camera: number, id: number, input: Partial<ZoneInput>) => patch<Zone>(`${API}/cameras/${camera}/zones/${id}/`, input),
  remove: (camera: number, id: number) => del(`${API}/cameras/${camera}/zones/${id}/`),
};

export const privacyMasks = {
  list: (camera: number) => getAll<PrivacyMask>(`${API}/cameras/${camera}/privacy-masks/`),
  create: (camera: number, input: PrivacyMaskInput) => post<PrivacyMask>(`${API}/cameras/${camera}/privacy-masks/`, input),
  update: (camera: number, id: number, input: Partial<PrivacyMaskInput>) =>
    patch<PrivacyMask>(`${API}/cameras/${camera}/privacy-masks/${id}/`, input),
  remove: (camera: number, id: number) => del(`${API}/cameras/${camera}/privacy-masks/${id}/`),
};

export const rules = {
  list: (camera: number) => getAll<Rule>(`${API}/cameras/${camera}/rules/`),
  create: (camera: number, input: RuleInput) => post<Rule>(`${API}/cameras/${camera}/rules/`, input),
  update: (camera: number, id: number, input: Partial<RuleInput>) => patch<Rule>(`${API}/cameras/${camera}/rules/${id}/`, input),
  remove: (camera: number, id: number) => del(`${API}/cameras/${camera}/rules/${id}/`),
};

export interface EventFilters {
  camera?: string;
  rule?: string;
  object_class?: string;
  start?: string;
  end?: string;
  has_alarm?: string;
}

export const events = {
  list: (filters: EventFilters, limit: number, offset: number) =>
    get<Page<CameraEvent>>(`${API}/events/${query({ ...filters, limit, offset })}`),
  get: (id: number) => get<CameraEvent>(`${API}/events/${id}/`),
  /** A camera's events in a span, for the timeline; the API caps a page at 500. */
  during: async (camera: number, start: Date, end: Date, signal?: AbortSignal) =>
    (await get<Page<CameraEvent>>(
      `${API}/events/${query({ camera, start: start.toISOString(), end: end.toISOString(), limit: 500 })}`, signal,
    )).results,
};

export interface DeviceEventFilters {
  camera?: string;
  kind?: string;
  topic?: string;
  /** "true": the condition began to hold, "false": it ended. */
  state?: string;
  start?: string;
  end?: string;
}

/** What the cameras reported themselves (ONVIF), newest first. */
export const deviceEvents = {
  list: (filters: DeviceEventFilters, limit: number, offset: number, signal?: AbortSignal) =>
    get<Page<DeviceEvent>>(`${API}/device-events/${query({ ...filters, limit, offset })}`, signal),
};

export const counts = {
  get: (camera: number, bucket: CountBucket, start: Date, end: Date, signal?: AbortSignal) =>
    get<Counts>(`${API}/counts/${query({ camera, bucket, start: start.toISOString(), end: end.toISOString() })}`, signal),
};

export const webhookDeliveries = {
  latest: async (rule: number, limit: number) =>
    (await get<Page<WebhookDelivery>>(`${API}/webhook-deliveries/${query({ rule, limit })}`)).results,
};

export const alarms = {
  /** The most urgent active alarms first (severity, then newest); `count` says how many there are in all. */
  active: (limit: number) => get<Page<Alarm>>(`${API}/alarms/${query({ state: "active", limit })}`),
  acknowledge: (id: number, comment: string) => post<Alarm>(`${API}/alarms/${id}/acknowledge/`, { comment }),
};

export const redactedExports = {
  /** Newest first. */
  list: (limit: number, offset: number) => get<Page<Export>>(`${API}/exports/${query({ limit, offset })}`),
  get: (id: number) => get<Export>(`${API}/exports/${id}/`),
  create: (input: ExportInput) => post<Export>(`${API}/exports/`, input),
  tracks: (id: number) => get<ExportTrack[]>(`${API}/exports/${id}/tracks/`),
  /** Only while the export is in review (409 otherwise). */
  render: (id: number, input: RenderInput) => post<Export>(`${API}/exports/${id}/render/`, input),
  /** A box drawn on one frame, followed forward and back until lost; masked only once sent back with `render`. */
  follow: (id: number, drawn: TrackBox) => post<FollowedBox>(`${API}/exports/${id}/follow/`, drawn),
  /** Someone other than the requester, when four eyes are required (VMS_EXPORT_APPROVAL=other). */
  approve: (id: number) => post<Export>(`${API}/exports/${id}/approve/`),
  /** Retention may delete the span's recordings again. */
  release: (id: number) => post<unknown>(`${API}/exports/${id}/release/`),
};

export const signingKey = {
  get: () => get<SigningKey>(`${API}/signing-key/`),
};
