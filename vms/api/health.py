"""GET /api/v1/health/: database, Redis, each recorder process and its cameras, free disk, and the recordings
store and its tiers."""

from __future__ import annotations

import shutil
from datetime import timedelta

from django.conf import settings
from django.db import connection
from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema
from rest_framework.response import Response
from rest_framework.views import APIView

from devices.models import Camera
from recordings.models import RecorderProcess
from recordings.tiers import tier_usage
from storage import StoreUnavailable
from storage.configured import recordings_store
from vms.api.permissions import requires


def check_database() -> dict:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
        return {"ok": True, "engine": connection.vendor}
    except Exception as exc:  # noqa: BLE001  (reported, not raised: this is the health page)
        return {"ok": False, "error": str(exc)}


def check_redis() -> dict:
    if not settings.REDIS_URL:
        return {"ok": True, "used": False, "detail": "single-box mode: no Redis configured"}
    import redis

    try:
        client = redis.Redis.from_url(settings.REDIS_URL, socket_timeout=2, socket_connect_timeout=2)
        client.ping()
        return {"ok": True, "used": True}
    except redis.RedisError as exc:
        return {"ok": False, "used": True, "error": str(exc)}


def worker_processes(kind: str, cameras_of: str, standby_of: str | None = None) -> list[dict]:
    """Recorder or analytics processes, whether each is alive, the cameras it holds and, with `standby_of`, those it
    stands by for (hot standby)."""
    alive_after = timezone.now() - timedelta(seconds=settings.RECORDER_LEASE_SECONDS)
    result = []
    related = [cameras_of, *([standby_of] if standby_of else [])]
    for process in RecorderProcess.objects.filter(kind=kind).prefetch_related(*related).order_by("name"):
        cameras = [{"id": c.pk, "name": c.name, "state": c.status, "last_frame_at": c.last_frame_at,
                    "last_error": c.last_error} for c in getattr(process, cameras_of).all()]
        result.append({"name": process.name, "hostname": process.hostname, "pid": process.pid,
                       "started_at": process.started_at, "heartbeat_at": process.heartbeat_at,
                       "alive": process.heartbeat_at >= alive_after, "cameras": cameras})
        if standby_of:
            result[-1]["standing_by"] = [{"id": c.pk, "name": c.name} for c in getattr(process, standby_of).all()]
    return result


def disk() -> dict:
    root = settings.RECORDINGS_ROOT
    root.mkdir(parents=True, exist_ok=True)
    usage = shutil.disk_usage(root)
    free_gib = usage.free / 2**30
    return {"ok": free_gib >= settings.MIN_FREE_DISK_GIB, "path": str(root), "total_gib": round(usage.total / 2**30, 2),
            "free_gib": round(free_gib, 2), "floor_gib": settings.MIN_FREE_DISK_GIB}


def storage() -> dict:
    """Where recordings are kept, whether this server reaches it, the cameras whose segments wait on their
    recorder's disk because the store (or the database) does not take them, and each tier's use (hot, and cold when
    there is one)."""
    store = recordings_store()
    report = {"ok": True, "location": store.location}
    try:
        store.check()
    except StoreUnavailable as exc:
        report.update(ok=False, error=str(exc))
    report["waiting"] = list(Camera.objects.filter(enabled=True).exclude(storage_error="")
                             .values("name", "storage_error").order_by("name"))
    report["tiers"] = tier_usage()
    report["ok"] = report["ok"] and not report["waiting"] and all(tier["ok"] for tier in report["tiers"])
    return report


class HealthView(APIView):
    """Overall `ok` is false when the database, Redis, the disk or the recordings store fails, segments wait on a
    recorder's disk, or an enabled camera has no live
    recorder (or, with analytics on, no live analytics worker, or analytics that cannot run)."""

    permission_classes = [requires("recordings.view_recorderprocess")]

    @extend_schema(responses={200: OpenApiTypes.OBJECT, 503: OpenApiTypes.OBJECT})
    def get(self, request):
        processes = worker_processes("recorder", "cameras", "standing_by")
        analysers = worker_processes("analytics", "analysed_cameras")
        unrecorded = list(
            Camera.objects.filter(enabled=True)
            .exclude(recorder__name__in=[p["name"] for p in processes if p["alive"]])
            .values_list("name", flat=True)
        )
        unanalysed = list(
            Camera.objects.filter(enabled=True, analytics_enabled=True)
            .exclude(analyser__name__in=[p["name"] for p in analysers if p["alive"]])
            .values_list("name", flat=True)
        )
        # What the analytics workers found when they tried (a detector that cannot load, a crash), in words.
        analytics_problems = [
            {"camera": camera["name"], "error": camera["analytics_error"]}
            for camera in Camera.objects.filter(enabled=True, analytics_enabled=True).exclude(analytics_error="")
            .values("name", "analytics_error")
        ]
        report = {"database": check_database(), "redis": check_redis(), "disk": disk(), "storage": storage(),
                  "recorders": processes,
                  "cameras_without_recorder": unrecorded, "analytics": analysers,
                  "cameras_without_analytics": unanalysed, "analytics_problems": analytics_problems}
        report["ok"] = (all(report[k]["ok"] for k in ("database", "redis", "disk", "storage"))
                        and not unrecorded and not unanalysed and not analytics_problems)
        return Response(report, status=200 if report["ok"] else 503)
