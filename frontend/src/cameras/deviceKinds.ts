/** What each kind of device is called on screen: in a sentence ("Asking the I/O module for…") and on its badge. */

import type { DeviceKind } from "../api/types";

export const KIND_NAME: Record<DeviceKind, string> = { camera: "camera", radar: "radar", io_module: "I/O module" };

export const KIND_BADGE: Record<DeviceKind, string> = { camera: "Camera", radar: "Radar", io_module: "I/O module" };
