/**
 * Which analytics boxes belong to the frame on screen. Box sets arrive over the live socket a little before or
 * after their frame is shown, each stamped with its frame's media time (pts); the frame shown picks the newest
 * set at or before it, so the boxes move with the picture, not with the network.
 */

import type { OverlayBoxes } from "../api/types";

/** Sets further behind the newest than this (seconds) can no longer be shown: the player stays within 1 s. */
const KEEP = 2;
/** No set this close before the frame shown (seconds): the objects are gone, or analysis stopped. */
const STALE = 1;

export class BoxSchedule {
  /** Oldest first. */
  private sets: OverlayBoxes[] = [];

  add(set: OverlayBoxes): void {
    const newest = this.sets[this.sets.length - 1];
    // Far behind the newest: the stream started again on a new timeline, and the old sets mean nothing now.
    if (newest && set.pts < newest.pts - KEEP) this.sets = [];
    let at = this.sets.length;
    while (at > 0 && this.sets[at - 1].pts > set.pts) at -= 1;
    this.sets.splice(at, 0, set);
    const keepFrom = this.sets[this.sets.length - 1].pts - KEEP;
    while (this.sets[0].pts < keepFrom) this.sets.shift();
  }

  /** The set for the frame at `mediaTime`, allowing `tolerance` seconds for rounding; null shows nothing. */
  at(mediaTime: number, tolerance: number): OverlayBoxes | null {
    for (let i = this.sets.length - 1; i >= 0; i--) {
      const set = this.sets[i];
      if (set.pts <= mediaTime + tolerance) return mediaTime - set.pts > STALE ? null : set;
    }
    return null;
  }
}
