/** Every API call the app makes, by resource; pages import these, never URLs. */

import { del, get, getAll, patch, post, put, query, request } from "./http";
import type {
  AuditEntry,
  Camera,
  CameraAccess,
  CameraInput,
  Health,
  Me,
  DiscoveredDevice,
  OnvifDevice,
  Preferences,
  StreamInfo,
  Timeline,
  User,
  UserInput,
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
  since?: string;
  until?: string;
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
  playlistUrl: (camera: number, start: Date, end: Date) =>
    `${API}/cameras/${camera}/playlist.m3u8${query({ start: start.toISOString(), end: end.toISOString() })}`,
  clipUrl: (camera: number, start: Date, end: Date) =>
    `${API}/cameras/${camera}/clip/${query({ start: start.toISOString(), end: end.toISOString() })}`,
};
