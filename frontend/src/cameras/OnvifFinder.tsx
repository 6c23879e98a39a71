/** Find a camera with ONVIF: scan the network (or type its address), log in to it, pick main and sub streams; the
 * address it answered at is also where its own events come from. */

import { useState } from "preact/hooks";
import { onvif } from "../api/endpoints";
import type { DiscoveredDevice, OnvifDevice, OnvifProfile } from "../api/types";
import { Field } from "../components/Field";
import { ErrorNote } from "../components/Notice";
import { codec, fps, resolution } from "../components/format";

export interface PickedStreams {
  name: string;
  main_url: string;
  sub_url: string;
  username: string;
  password: string;
  onvif_host: string;
  onvif_port: string;
}

function DeviceList({ devices, onPick }: { devices: DiscoveredDevice[]; onPick: (device: DiscoveredDevice) => void }) {
  if (!devices.length) {
    return (
      <p class="empty-inline">
        No ONVIF camera answered. Discovery reaches only this network segment; type the camera's address below instead.
      </p>
    );
  }
  return (
    <ul class="pick-list" data-testid="onvif-devices">
      {devices.map((device) => (
        <li key={`${device.host}:${device.port}`}>
          <button type="button" class="pick" onClick={() => onPick(device)}>
            <strong>{device.name || device.host}</strong>
            <span class="muted">{[device.hardware, `${device.host}:${device.port}`].filter(Boolean).join(" · ")}</span>
          </button>
        </li>
      ))}
    </ul>
  );
}

function ProfileTable({ device, main, sub, onMain, onSub }: {
  device: OnvifDevice; main: string; sub: string; onMain: (uri: string) => void; onSub: (uri: string) => void;
}) {
  const row = (profile: OnvifProfile) => (
    <tr key={profile.token}>
      <td>{profile.name}</td>
      <td>{codec(profile.encoding)}</td>
      <td>{resolution(profile.width, profile.height)}</td>
      <td>{fps(profile.fps)}</td>
      <td><input type="radio" name="main-profile" aria-label={`${profile.name} as main stream`} checked={main === profile.stream_uri}
        onChange={() => onMain(profile.stream_uri)} /></td>
      <td><input type="radio" name="sub-profile" aria-label={`${profile.name} as sub-stream`} checked={sub === profile.stream_uri}
        onChange={() => onSub(profile.stream_uri)} /></td>
    </tr>
  );
  return (
    <table class="table compact" data-testid="onvif-profiles">
      <thead><tr><th>Profile</th><th>Codec</th><th>Size</th><th>Rate</th><th>Main</th><th>Sub</th></tr></thead>
      <tbody>
        {device.profiles.map(row)}
        <tr>
          <td colSpan={5} class="muted">No sub-stream</td>
          <td><input type="radio" name="sub-profile" aria-label="No sub-stream" checked={sub === ""} onChange={() => onSub("")} /></td>
        </tr>
      </tbody>
    </table>
  );
}

export function OnvifFinder({ onPick }: { onPick: (streams: PickedStreams) => void }) {
  const [devices, setDevices] = useState<DiscoveredDevice[] | null>(null);
  const [searching, setSearching] = useState(false);
  const [host, setHost] = useState("");
  const [port, setPort] = useState("80");
  const [name, setName] = useState("");
  const [username, setUsername] = useState("");
  const [password, setPassword] = useState("");
  const [device, setDevice] = useState<OnvifDevice | null>(null);
  // Where the device answered: the host and port typed may change after.
  const [address, setAddress] = useState({ host: "", port: 80 });
  const [loading, setLoading] = useState(false);
  const [main, setMain] = useState("");
  const [sub, setSub] = useState("");
  const [error, setError] = useState<unknown>(null);

  async function search() {
    setSearching(true);
    setError(null);
    try {
      setDevices((await onvif.discover(3)).devices);
    } catch (failure) {
      setError(failure);
    } finally {
      setSearching(false);
    }
  }

  function choose(found: DiscoveredDevice) {
    setHost(found.host);
    setPort(String(found.port));
    setName(found.name ?? "");
    setDevice(null);
  }

  async function loadProfiles(event: Event) {
    event.preventDefault();
    setLoading(true);
    setError(null);
    try {
      const asked = { host: host.trim(), port: Number(port) || 80 };
      const answer = await onvif.profiles(asked.host, asked.port, username, password);
      setDevice(answer);
      setAddress(asked);
      setMain(answer.suggested_main_url);
      setSub(answer.suggested_sub_url ?? "");
    } catch (failure) {
      setError(failure);
      setDevice(null);
    } finally {
      setLoading(false);
    }
  }

  const deviceName = name || (device ? [device.manufacturer, device.model].filter(Boolean).join(" ") : "");

  return (
    <div class="onvif-finder">
      <div class="actions left">
        <button type="button" onClick={search} disabled={searching}>{searching ? "Searching the network…" : "Search the network"}</button>
      </div>
      {devices && <DeviceList devices={devices} onPick={choose} />}
      <form class="onvif-login" onSubmit={loadProfiles}>
        <div class="field-row">
          <Field label="Camera address" name="host" error={error}>
            <input name="onvif-host" required value={host} placeholder="192.168.1.20" onInput={(e) => setHost(e.currentTarget.value)} />
          </Field>
          <Field label="ONVIF port" name="port" error={error}>
            <input name="onvif-port" type="number" min={1} max={65535} value={port} onInput={(e) => setPort(e.currentTarget.value)} />
          </Field>
          <Field label="Username" name="username" error={error}>
            <input name="onvif-username" autocomplete="off" value={username} onInput={(e) => setUsername(e.currentTarget.value)} />
          </Field>
          <Field label="Password" name="password" error={error}>
            <input name="onvif-password" type="password" autocomplete="new-password" value={password}
              onInput={(e) => setPassword(e.currentTarget.value)} />
          </Field>
        </div>
        <div class="actions left">
          <button type="submit" disabled={!host.trim() || loading}>{loading ? "Asking the camera…" : "Get stream profiles"}</button>
        </div>
      </form>
      <ErrorNote error={error} />
      {device && device.profiles.length === 0 && <p class="empty-inline">The camera offers no video profiles.</p>}
      {device && device.profiles.length > 0 && (
        <>
          <p class="muted">{[device.manufacturer, device.model, device.firmware && `firmware ${device.firmware}`].filter(Boolean).join(" · ")}</p>
          <ProfileTable device={device} main={main} sub={sub} onMain={setMain} onSub={setSub} />
          <div class="actions left">
            <button type="button" class="primary" disabled={!main}
              onClick={() => onPick({
                name: deviceName, main_url: main, sub_url: sub === main ? "" : sub, username, password,
                onvif_host: address.host, onvif_port: String(address.port),
              })}>
              Use these streams
            </button>
          </div>
        </>
      )}
    </div>
  );
}
