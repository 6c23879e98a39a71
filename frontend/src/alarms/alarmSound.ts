/**
 * A short beep every few seconds while any alarm is active, made with WebAudio (no sound files), unless the user
 * muted it (remembered in this browser). Browsers allow sound only once the user has used the page, so the
 * audio starts on the first click or key press.
 */

import { useEffect, useState } from "preact/hooks";

const BEEP_EVERY_MS = 2500;
const MUTED_KEY = "vms.alarms.muted";

let audio: AudioContext | null = null;

function startAudio(): void {
  audio ??= new AudioContext();
  if (audio.state === "suspended") audio.resume().catch(() => undefined);
}

function beep(): void {
  if (audio?.state !== "running") return;
  const now = audio.currentTime;
  const tone = audio.createOscillator();
  const volume = audio.createGain();
  tone.frequency.value = 880;
  // A quick rise and fall: a bare start and stop of the tone clicks.
  volume.gain.setValueAtTime(0.0001, now);
  volume.gain.exponentialRampToValueAtTime(0.3, now + 0.01);
  volume.gain.exponentialRampToValueAtTime(0.0001, now + 0.2);
  tone.connect(volume).connect(audio.destination);
  tone.start(now);
  tone.stop(now + 0.2);
}

export function useAlarmSound(sounding: boolean): void {
  useEffect(() => {
    window.addEventListener("pointerdown", startAudio, true);
    window.addEventListener("keydown", startAudio, true);
    return () => {
      window.removeEventListener("pointerdown", startAudio, true);
      window.removeEventListener("keydown", startAudio, true);
    };
  }, []);

  useEffect(() => {
    if (!sounding) return undefined;
    beep();
    const timer = window.setInterval(beep, BEEP_EVERY_MS);
    return () => window.clearInterval(timer);
  }, [sounding]);
}

export function useMuted(): [boolean, (muted: boolean) => void] {
  const [muted, setMuted] = useState(() => {
    try {
      return localStorage.getItem(MUTED_KEY) === "yes";
    } catch {
      return false; // storage refused: the sound is on, as by default
    }
  });
  const change = (next: boolean) => {
    setMuted(next);
    try {
      if (next) localStorage.setItem(MUTED_KEY, "yes");
      else localStorage.removeItem(MUTED_KEY);
    } catch {
      // not remembered; it still applies until the page is left
    }
  };
  return [muted, change];
}
