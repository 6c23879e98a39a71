/** The pages of the app: where they live, what they are called in the menu, and who may open them. */

import type { ComponentType } from "preact";
import { CameraAnalyticsPage } from "../analytics/CameraAnalyticsPage";
import { AnnouncementsPage } from "../announcements/AnnouncementsPage";
import { AuditPage } from "../audit/AuditPage";
import { AddCameraPage } from "../cameras/AddCameraPage";
import { AddIoModulePage } from "../cameras/AddIoModulePage";
import { AddRadarPage } from "../cameras/AddRadarPage";
import { CamerasPage } from "../cameras/CamerasPage";
import { EditCameraPage } from "../cameras/EditCameraPage";
import { DeviceEventsPage } from "../events/DeviceEventsPage";
import { EventReplayPage } from "../events/EventReplayPage";
import { EventsPage } from "../events/EventsPage";
import { ExportPage } from "../exports/ExportPage";
import { ExportsPage } from "../exports/ExportsPage";
import { HealthPage } from "../health/HealthPage";
import { LiveCameraPage } from "../live/LiveCameraPage";
import { LivePage } from "../live/LivePage";
import { PrivacyMasksPage } from "../privacy/PrivacyMasksPage";
import { RecordingsIndexPage } from "../recordings/RecordingsIndexPage";
import { RecordingsPage } from "../recordings/RecordingsPage";
import { SitePlanPage } from "../sitePlans/SitePlanPage";
import { SitePlansPage } from "../sitePlans/SitePlansPage";
import { UsersPage } from "../users/UsersPage";
import { PERMISSION, type Permission } from "./permissions";

export interface PageRoute {
  pattern: string;
  permission: Permission;
  // Each page takes its route's named parts (":camera") as string props.
  component: ComponentType<any>;
  /** Shown in the navigation when set. */
  menu?: string;
  /** Full-screen pages (live view) use the whole area below the header. */
  fill?: boolean;
}

export const PAGES: PageRoute[] = [
  { pattern: "/live", permission: PERMISSION.viewLive, component: LivePage, menu: "Live", fill: true },
  { pattern: "/live/:camera", permission: PERMISSION.viewLive, component: LiveCameraPage, fill: true },
  { pattern: "/cameras", permission: PERMISSION.viewCameras, component: CamerasPage, menu: "Cameras" },
  { pattern: "/cameras/new", permission: PERMISSION.addCamera, component: AddCameraPage },
  { pattern: "/cameras/new-radar", permission: PERMISSION.addCamera, component: AddRadarPage },
  { pattern: "/cameras/new-io-module", permission: PERMISSION.addCamera, component: AddIoModulePage },
  { pattern: "/cameras/:camera/edit", permission: PERMISSION.changeCamera, component: EditCameraPage },
  { pattern: "/cameras/:camera/analytics", permission: PERMISSION.changeCamera, component: CameraAnalyticsPage },
  { pattern: "/cameras/:camera/privacy", permission: PERMISSION.changeCamera, component: PrivacyMasksPage },
  { pattern: "/site-plans", permission: PERMISSION.viewSitePlans, component: SitePlansPage, menu: "Site plans" },
  { pattern: "/site-plans/:plan", permission: PERMISSION.viewSitePlans, component: SitePlanPage },
  { pattern: "/announcements", permission: PERMISSION.viewAnnouncements, component: AnnouncementsPage, menu: "Announcements" },
  { pattern: "/recordings", permission: PERMISSION.viewRecordings, component: RecordingsIndexPage, menu: "Recordings" },
  { pattern: "/recordings/:camera", permission: PERMISSION.viewRecordings, component: RecordingsPage },
  { pattern: "/events", permission: PERMISSION.viewRecordings, component: EventsPage, menu: "Events" },
  { pattern: "/events/:event", permission: PERMISSION.viewRecordings, component: EventReplayPage },
  { pattern: "/camera-events", permission: PERMISSION.viewDeviceEvents, component: DeviceEventsPage, menu: "Camera events" },
  { pattern: "/exports", permission: PERMISSION.exportClip, component: ExportsPage, menu: "Exports" },
  { pattern: "/exports/:export", permission: PERMISSION.exportClip, component: ExportPage },
  { pattern: "/users", permission: PERMISSION.viewUsers, component: UsersPage, menu: "Users and access" },
  { pattern: "/audit", permission: PERMISSION.viewAudit, component: AuditPage, menu: "Audit log" },
  { pattern: "/health", permission: PERMISSION.viewHealth, component: HealthPage, menu: "Health" },
];
