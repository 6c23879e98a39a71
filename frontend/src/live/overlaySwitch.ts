/** Whether a camera's tiles show the analytics boxes: on unless switched off, remembered per camera in this browser. */

import { useState } from "preact/hooks";

const key = (camera: number) => `vms.overlay.${camera}`;

function isOn(camera: number): boolean {
  try {
    return localStorage.getItem(key(camera)) !== "off";
  } catch {
    return true; // storage refused (private mode, policy): the default, not remembered
  }
}

export function useOverlaySwitch(camera: number): [boolean, (on: boolean) => void] {
  const [on, setOn] = useState(() => isOn(camera));
  const change = (next: boolean) => {
    setOn(next);
    try {
      if (next) localStorage.removeItem(key(camera));
      else localStorage.setItem(key(camera), "off");
    } catch {
      // not remembered; it still applies until the page is left
    }
  };
  return [on, change];
}
