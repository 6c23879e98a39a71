/** How numbers, sizes and times read on screen. */

export function resolution(width: number | null | undefined, height: number | null | undefined): string {
  return width && height ? `${width} × ${height}` : "";
}

export function bitrate(bitsPerSecond: number | null | undefined): string {
  if (!bitsPerSecond) return "";
  if (bitsPerSecond >= 1_000_000) return `${(bitsPerSecond / 1_000_000).toFixed(1)} Mbit/s`;
  return `${Math.round(bitsPerSecond / 1000)} kbit/s`;
}

export function fps(value: number | null | undefined): string {
  return value ? `${Number.isInteger(value) ? value : value.toFixed(1)} fps` : "";
}

const CODECS: Record<string, string> = { h264: "H.264", hevc: "H.265", h265: "H.265", mjpeg: "MJPEG", av1: "AV1", vp8: "VP8", vp9: "VP9" };

export function codec(name: string | null | undefined): string {
  if (!name) return "";
  return CODECS[name.toLowerCase()] ?? name.toUpperCase();
}

/** "12.4 MB": bytes in decimal units, as file managers show them. */
export function fileSize(bytes: number | null | undefined): string {
  if (bytes === null || bytes === undefined) return "";
  const units = ["bytes", "kB", "MB", "GB", "TB"];
  let value = bytes;
  let unit = 0;
  while (value >= 1000 && unit < units.length - 1) {
    value /= 1000;
    unit += 1;
  }
  return unit === 0 ? `${bytes} bytes` : `${value.toFixed(value < 10 ? 1 : 0)} ${units[unit]}`;
}

export function dateTime(iso: string | null | undefined): string {
  if (!iso) return "";
  return new Date(iso).toLocaleString(undefined, { dateStyle: "medium", timeStyle: "medium" });
}

/** "14:05:09" (24-hour, local), also the value format of <input type="time" step="1">. */
export function clock(date: Date, withSeconds = true): string {
  const pad = (n: number) => String(n).padStart(2, "0");
  const hm = `${pad(date.getHours())}:${pad(date.getMinutes())}`;
  return withSeconds ? `${hm}:${pad(date.getSeconds())}` : hm;
}

export function duration(seconds: number): string {
  const s = Math.round(seconds);
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const rest = s % 60;
  if (h) return `${h} h ${m} min`;
  if (m) return `${m} min ${rest} s`;
  return `${rest} s`;
}

/** "2 minutes ago" style, for status changes. */
export function ago(iso: string | null | undefined, now = Date.now()): string {
  if (!iso) return "";
  const seconds = Math.max(0, Math.round((now - new Date(iso).getTime()) / 1000));
  if (seconds < 5) return "just now";
  if (seconds < 60) return `${seconds} s ago`;
  if (seconds < 3600) return `${Math.round(seconds / 60)} min ago`;
  if (seconds < 86400) return `${Math.round(seconds / 3600)} h ago`;
  return dateTime(iso);
}
