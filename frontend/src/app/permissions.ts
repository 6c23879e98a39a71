/** What the logged-in user may do, from the permissions /auth/me/ lists; the pages and navigation ask here. */

import type { Me } from "../api/types";

export const PERMISSION = {
  viewCameras: "devices.view_camera",
  addCamera: "devices.add_camera",
  changeCamera: "devices.change_camera",
  deleteCamera: "devices.delete_camera",
  viewLive: "devices.view_live",
  viewRecordings: "devices.view_recording",
  exportClip: "devices.export_clip",
  viewUnmasked: "devices.view_unmasked",
  switchRelay: "devices.switch_relay",
  controlPtz: "devices.control_ptz",
  managePtzPresets: "devices.manage_ptz_presets",
  talk: "devices.talk",
  viewAnnouncements: "devices.view_announcement",
  manageAnnouncements: "devices.add_announcement",
  viewDeviceEvents: "devices.view_deviceevent",
  viewSitePlans: "devices.view_siteplan",
  addSitePlan: "devices.add_siteplan",
  changeSitePlan: "devices.change_siteplan",
  deleteSitePlan: "devices.delete_siteplan",
  viewUsers: "auth.view_user",
  addUser: "auth.add_user",
  changeUser: "auth.change_user",
  viewAccess: "accounts.view_cameraaccess",
  grantAccess: "accounts.add_cameraaccess",
  revokeAccess: "accounts.delete_cameraaccess",
  viewAudit: "accounts.view_auditentry",
  viewHealth: "recordings.view_recorderprocess",
} as const;

export type Permission = (typeof PERMISSION)[keyof typeof PERMISSION];

export function can(me: Me | null, permission: Permission): boolean {
  return Boolean(me?.permissions.includes(permission));
}
