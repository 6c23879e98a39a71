"""The recordings page in real Chromium plays on across the hot/cold boundary while the mover moves the segments
ahead of the playhead to the cold tier: one video, never emptied, never jumping back, no error."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import pytest
from django.db import connection

from recordings.choices import Tier
from recordings.models import Segment
from recordings.mover import move_to_cold
from tests.browser import chromium_page, log_in
from tests.conftest import PASSWORD, grant
from tests.test_playback import WATCH_THE_PLAYER
from tests.test_storage_tiers import record_footage, tiers_of
from tests.web_server import web_server
from video.pattern_clip import make_clip

pytestmark = pytest.mark.django_db(transaction=True)
VIDEO = "document.querySelector('[data-testid=player] video')"


COUNT_STALLS = """() => {
    const video = document.querySelector('[data-testid=player] video');
    window.stalls = 0;
    video.addEventListener('waiting', () => { if (video.currentTime > 0.5) window.stalls += 1; });
}"""


def moved_once_old(segment: Segment):
    """The time at which a camera with cold_after_hours=1 has `segment` moved, and no later one."""
    return segment.end + timedelta(hours=1, seconds=0.1)


def test_chromium_plays_across_the_boundary_while_segments_move(camera, investigator_user, settings, tmp_path):
    settings.COLD_STORAGE = {"backend": "filesystem", "root": tmp_path / "cold"}
    camera.cold_after_hours = 1
    camera.save()
    grant(camera, user=investigator_user)
    clip = make_clip(tmp_path / "clip", width=640, height=360, seconds=24, gop_seconds=1.0)
    segments = record_footage(camera, clip, tmp_path / "cut")
    move_to_cold(now=moved_once_old(segments[3]))  # the first 8 s are cold before playback starts
    starts = [sum(s.duration for s in segments[:k]) for k in range(len(segments))]  # media time of each segment
    at = segments[0].start + timedelta(seconds=0.1)
    # The mover runs in a thread of its own, as a worker would: Playwright's loop makes this thread async for Django.
    mover = ThreadPoolExecutor(1)
    with web_server(settings.RECORDINGS_ROOT.parent, VMS_PLAYBACK_WINDOW_SECONDS="4",
                    VMS_COLD_STORAGE_URL=f"file://{tmp_path / 'cold'}") as base, chromium_page() as page:
        log_in(page, base, investigator_user.username, PASSWORD)
        page.goto(f"{base}/recordings/{camera.pk}?at={at.isoformat().replace('+', '%2B')}")
        page.wait_for_selector("[data-testid=player] video", state="attached")
        page.evaluate(WATCH_THE_PLAYER)
        page.evaluate(COUNT_STALLS)
        # Segments 4 to 9 move one by one, each a little before the playhead reaches it (its playlist may already
        # name it); 10 and 11 stay hot: the playhead crosses from cold to hot footage more than once.
        for k in range(4, 10):
            page.wait_for_function(f"{VIDEO}.currentTime > {starts[k] - 2.5}", timeout=60_000)
            assert mover.submit(move_to_cold, now=moved_once_old(segments[k])).result().moved == 1
        page.wait_for_function(f"{VIDEO}.currentTime > {starts[10] + 1.0}", timeout=60_000)
        seen = page.evaluate("window.playerSeen")
        stalls = page.evaluate("window.stalls")
        error = page.evaluate(f"{VIDEO}.error && {VIDEO}.error.message")
    mover.submit(lambda: connection.close()).result()  # the mover thread's own connection
    mover.shutdown()
    assert tiers_of(segments) == [Tier.COLD] * 10 + [Tier.HOT] * 2
    assert error is None
    assert seen["emptied"] == 0 and seen["back"] == 0, f"one video played on without a reload: {seen}"
    print(f"the player waited for data {stalls} times after it started playing")
