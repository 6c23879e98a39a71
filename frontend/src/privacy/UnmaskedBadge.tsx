/** Over video shown without its privacy masks, so nobody mistakes it for the masked picture. */

export function UnmaskedBadge() {
  return <span class="unmasked-badge" data-testid="unmasked-badge" role="status">UNMASKED</span>;
}
