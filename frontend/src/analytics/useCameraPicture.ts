/** A fresh picture from the camera (through the saved camera's stream check) to draw zones on. */

import { useCallback, useEffect, useState } from "preact/hooks";
import { cameras } from "../api/endpoints";
import type { Camera } from "../api/types";
import type { Size } from "../drawing/pictureGeometry";

export interface CameraPicture {
  taking: boolean;
  /** A data: URL of a JPEG, or null when the camera gave none. */
  picture: string | null;
  /** The picture's pixels; before the first picture, what the camera last reported, else 16:9. */
  size: Size;
  error: unknown;
  retake: () => void;
}

function reportedSize(camera: Camera): Size {
  const { width, height } = camera.live_status;
  return width && height ? { width, height } : { width: 1280, height: 720 };
}

export function useCameraPicture(camera: Camera): CameraPicture {
  const [taking, setTaking] = useState(true);
  const [picture, setPicture] = useState<string | null>(null);
  const [size, setSize] = useState<Size>(() => reportedSize(camera));
  const [error, setError] = useState<unknown>(null);

  const retake = useCallback(async () => {
    setTaking(true);
    setError(null);
    try {
      const info = await cameras.probeSaved(camera.id);
      setPicture(info.snapshot);
      if (info.width && info.height) setSize({ width: info.width, height: info.height });
    } catch (failure) {
      setError(failure);
    } finally {
      setTaking(false);
    }
  }, [camera.id]);

  useEffect(() => {
    retake();
  }, [retake]);

  return { taking, picture, size, error, retake };
}
