/**
 * "View unmasked" for users allowed to see unmasked video, on cameras that keep an unmasked recording: asks why,
 * then hands on the access token until it expires or the user goes back to the masked view.
 */

import { useEffect, useRef, useState } from "preact/hooks";
import type { Camera, UnmaskedAccess } from "../api/types";
import { PERMISSION } from "../app/permissions";
import { useCan } from "../app/session";
import { clock } from "../components/format";
import { UnmaskedReasonDialog } from "./UnmaskedReasonDialog";

interface UnmaskedSwitchProps {
  camera: Camera;
  /** The token being watched with, or null for the masked view. */
  token: string | null;
  onToken: (token: string | null) => void;
}

export function UnmaskedSwitch({ camera, token, onToken }: UnmaskedSwitchProps) {
  const allowed = useCan(PERMISSION.viewUnmasked) && camera.keep_unmasked;
  const [asking, setAsking] = useState(false);
  const [expiresAt, setExpiresAt] = useState<number | null>(null);
  const handler = useRef(onToken);
  handler.current = onToken;

  // The server refuses an expired token, so the view goes back to masked video when it expires.
  useEffect(() => {
    if (!token || expiresAt === null) return undefined;
    const timer = window.setTimeout(() => handler.current(null), Math.max(0, expiresAt - Date.now()));
    return () => window.clearTimeout(timer);
  }, [token, expiresAt]);

  function granted(access: UnmaskedAccess) {
    setAsking(false);
    setExpiresAt(Date.parse(access.expires_at));
    onToken(access.token);
  }

  if (!allowed) return null;
  if (token) {
    return (
      <span class="unmasked-switch">
        {expiresAt !== null && <span class="muted small">Unmasked until {clock(new Date(expiresAt))}</span>}
        <button type="button" onClick={() => onToken(null)}>Back to the masked view</button>
      </span>
    );
  }
  return (
    <>
      <button type="button" onClick={() => setAsking(true)}>View unmasked</button>
      {asking && <UnmaskedReasonDialog camera={camera} onGranted={granted} onCancel={() => setAsking(false)} />}
    </>
  );
}
