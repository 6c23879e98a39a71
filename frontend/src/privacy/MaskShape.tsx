/**
 * One privacy mask over the camera's picture, drawn as it will hide the picture: filled with its colour, as a
 * mosaic, or with the picture under it blurred. Its outline in its colour tells masks apart.
 */

import type { PrivacyMask } from "../api/types";
import { centreOf, pointsAttribute, toPixels, type Size } from "../drawing/pictureGeometry";

/** What the layer draws of a mask; a mask not saved yet has no id. */
export type MaskOutline = Omit<PrivacyMask, "id" | "camera"> & { id?: number };

/** The mosaic pattern and the blur the masks refer to; once per picture. */
export function MaskPatterns({ size }: { size: Size }) {
  const cell = Math.max(size.width, size.height) / 60;
  return (
    <defs>
      <pattern id="mask-mosaic" width={cell * 2} height={cell * 2} patternUnits="userSpaceOnUse">
        <rect width={cell * 2} height={cell * 2} fill="#6b7280" />
        <rect width={cell} height={cell} fill="#9ca3af" />
        <rect x={cell} y={cell} width={cell} height={cell} fill="#4b5563" />
      </pattern>
      <filter id="mask-blur">
        <feGaussianBlur stdDeviation={cell / 2} />
      </filter>
    </defs>
  );
}

interface MaskShapeProps {
  mask: MaskOutline;
  size: Size;
  /** The picture under the mask, blurred inside a blur mask; null when there is none. */
  picture: string | null;
  selected: boolean;
  onSelect?: () => void;
}

export function MaskShape({ mask, size, picture, selected, onSelect }: MaskShapeProps) {
  const unit = Math.max(size.width, size.height) / 100;
  const points = pointsAttribute(mask.points, size);
  const clip = `mask-clip-${mask.id ?? "new"}`;
  const [cx, cy] = toPixels(centreOf(mask.points), size);
  const ids = mask.id === undefined ? { "data-testid": "mask-sketch" } : { "data-mask-id": String(mask.id), "data-selected": String(selected) };
  return (
    <g class={`mask mask-${mask.style}${selected ? " mask-selected" : ""}${mask.id === undefined ? " mask-sketch" : ""}`}
      style={{ color: mask.color }} data-style={mask.style} {...ids}
      onClick={onSelect && ((event: MouseEvent) => { event.stopPropagation(); onSelect(); })}>
      {mask.style === "blur" && picture && (
        <>
          <clipPath id={clip}><polygon points={points} /></clipPath>
          <image href={picture} width={size.width} height={size.height} clip-path={`url(#${clip})`} filter="url(#mask-blur)" />
        </>
      )}
      <polygon class="mask-area" points={points} />
      <text class="shape-text" x={cx} y={cy} font-size={unit * 2.4} stroke-width={unit * 0.35} text-anchor="middle" dominant-baseline="middle">
        {mask.name}
      </text>
    </g>
  );
}
