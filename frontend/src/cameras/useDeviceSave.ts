/** Saving a device's form (a camera, a radar, an I/O module): the request, the API's errors for the fields (the first
 * invalid one focused) and whether it is under way. */

import { useEffect, useRef, useState } from "preact/hooks";
import type { Camera } from "../api/types";
import { focusFirstInvalid } from "../components/Field";

export function useDeviceSave(request: () => Promise<Camera>, onSaved: (device: Camera) => void) {
  const [saving, setSaving] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const form = useRef<HTMLFormElement>(null);
  useEffect(() => focusFirstInvalid(form.current), [error]);

  async function submit(event: Event) {
    event.preventDefault();
    setSaving(true);
    setError(null);
    try {
      onSaved(await request());
    } catch (failure) {
      setError(failure);
      setSaving(false);
    }
  }

  return { saving, error, form, submit };
}
