"""Analytics API: zones and rules of a camera, events, alarms (and acknowledging them), counts, webhooks."""

from __future__ import annotations

import django_filters
from django.db.models import BooleanField, ExpressionWrapper, F, Q, Sum
from django.db.models.functions import TruncDay, TruncHour
from django.http import HttpResponse
from django.shortcuts import get_object_or_404
from django.utils import timezone
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.access import cameras_visible_to
from accounts.models import AuditAction
from analytics import services
from analytics.api.serializers import (
    AcknowledgeSerializer,
    AlarmSerializer,
    CountQuerySerializer,
    CountsSerializer,
    EventSerializer,
    RuleSerializer,
    WebhookDeliverySerializer,
    ZoneSerializer,
)
from analytics.models import Alarm, Count, Event, Rule, WebhookDelivery, Zone
from vms.api.camera_scoped import CameraScopedViewSet
from vms.api.errors import problem
from vms.api.fields import InstantFilter
from vms.api.filters import StrictFilterSet
from vms.api.permissions import requires
from vms.api.schema import PROBLEM


class ZoneViewSet(CameraScopedViewSet):
    """Areas and lines drawn over a camera's picture."""

    audit_action = AuditAction.ANALYTICS_CHANGED
    queryset = Zone.objects.all()
    serializer_class = ZoneSerializer
    permission_model = "analytics.zone"
    what = "zone"


class RuleViewSet(CameraScopedViewSet):
    """What the analytics watch for on a camera, when, and what they do when it happens."""

    audit_action = AuditAction.ANALYTICS_CHANGED
    queryset = Rule.objects.all()
    serializer_class = RuleSerializer
    permission_model = "analytics.rule"
    what = "rule"


class EventFilter(StrictFilterSet):
    start = InstantFilter(method="filter_start", help_text="Events still going on at or after this time")
    end = InstantFilter(field_name="started_at", lookup_expr="lt", help_text="Events that started before this time")
    has_alarm = django_filters.BooleanFilter(field_name="alarm", lookup_expr="isnull", exclude=True)

    class Meta:
        model = Event
        fields = ["camera", "rule", "object_class", "condition"]

    def filter_start(self, queryset, _name, value):
        return queryset.filter(Q(ended_at__gte=value) | Q(ended_at=None) | Q(started_at__gte=value))


class EventViewSet(viewsets.ReadOnlyModelViewSet):
    """What the rules found, newest first, with each object's path; for cameras the user may see."""

    serializer_class = EventSerializer
    permission_classes = [requires("analytics.view_event")]
    filterset_class = EventFilter
    queryset = Event.objects.none()  # for the schema

    def get_queryset(self):
        return (Event.objects.filter(camera__in=cameras_visible_to(self.request.user))
                .select_related("camera").defer("snapshot")
                .annotate(has_snapshot=ExpressionWrapper(Q(snapshot__isnull=False), output_field=BooleanField()),
                          alarm_id=F("alarm__id")))



class EventSnapshot(APIView):
    """The best picture of an event's object (JPEG)."""

    permission_classes = [requires("analytics.view_event")]

    @extend_schema(responses={(200, "image/jpeg"): bytes})
    def get(self, request, pk: int):
        event = get_object_or_404(Event.objects.filter(camera__in=cameras_visible_to(request.user)), pk=pk)
        if not event.snapshot:
            return problem(404, "This event has no picture.")
        response = HttpResponse(bytes(event.snapshot), content_type="image/jpeg")
        response["Cache-Control"] = "private, max-age=3600"
        return response


class AlarmFilter(StrictFilterSet):
    state = django_filters.ChoiceFilter(choices=[("active", "Not yet acknowledged"),
                                                 ("acknowledged", "Acknowledged")], method="filter_state")

    class Meta:
        model = Alarm
        fields = ["camera", "severity"]

    def filter_state(self, queryset, _name, value):
        return queryset.filter(acknowledged_at__isnull=value == "active")


class AlarmViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Alarms of the cameras the user may see: unacknowledged first, then by severity and time."""

    serializer_class = AlarmSerializer
    permission_classes = [requires("analytics.view_alarm")]
    filterset_class = AlarmFilter
    queryset = Alarm.objects.none()  # for the schema

    def get_queryset(self):
        return (Alarm.objects.filter(camera__in=cameras_visible_to(self.request.user))
                .select_related("camera", "event")
                .order_by(F("acknowledged_at").desc(nulls_first=True), "-severity", "-raised_at"))

    @extend_schema(request=AcknowledgeSerializer, responses={200: AlarmSerializer, 409: PROBLEM})
    @action(detail=True, methods=["post"], permission_classes=[requires("analytics.acknowledge_alarm")])
    def acknowledge(self, request, pk=None):
        alarm = self.get_object()
        body = AcknowledgeSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        try:
            alarm = services.acknowledge(alarm, request.user, body.validated_data["comment"], request=request)
        except services.AlreadyAcknowledged:
            alarm.refresh_from_db()
            return problem(status.HTTP_409_CONFLICT,
                           f"{alarm.acknowledged_by_name or 'Someone'} acknowledged this alarm already.")
        return Response(AlarmSerializer(alarm).data)


BUCKETS = {"15min": None, "hour": TruncHour, "day": TruncDay}


class CountList(APIView):
    """Objects counted across each line (per direction) and into each area, per class and time bucket."""

    permission_classes = [requires("analytics.view_count")]

    @extend_schema(parameters=[CountQuerySerializer], responses={200: CountsSerializer, 404: PROBLEM})
    def get(self, request):
        query = CountQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        params = query.validated_data
        camera = get_object_or_404(cameras_visible_to(request.user), pk=params["camera"])
        counts = Count.objects.filter(camera=camera, minute__gte=params["start"],
                                      minute__lt=params.get("end") or timezone.now())
        if "zone" in params:
            counts = counts.filter(zone_id=params["zone"])
        truncate = BUCKETS[params["bucket"]]
        rows = []
        if truncate is None:  # quarter hours: group minutes in Python (few rows: one per minute at most)
            totals: dict[tuple, int] = {}
            for row in counts.values("zone", "zone__name", "direction", "object_class", "minute", "count"):
                minute = row["minute"]
                start = minute.replace(minute=minute.minute - minute.minute % 15)
                key = (row["zone"], row["zone__name"], row["direction"], row["object_class"], start)
                totals[key] = totals.get(key, 0) + row["count"]
            rows = [dict(zip(("zone", "zone_name", "direction", "object_class", "bucket_start"), key, strict=True),
                         count=n) for key, n in sorted(totals.items(), key=lambda item: (item[0][4], item[0][0]))]
        else:
            grouped = (counts.annotate(bucket_start=truncate("minute"))
                       .values("zone", "zone__name", "direction", "object_class", "bucket_start")
                       .annotate(total=Sum("count")).order_by("bucket_start", "zone", "direction", "object_class"))
            rows = [{"zone": r["zone"], "zone_name": r["zone__name"], "direction": r["direction"],
                     "object_class": r["object_class"], "bucket_start": r["bucket_start"], "count": r["total"]}
                    for r in grouped]
        return Response(CountsSerializer({"bucket": params["bucket"], "results": rows}).data)


class WebhookDeliveryViewSet(viewsets.ReadOnlyModelViewSet):
    """Calls of rules' webhooks: each attempt's outcome (Admins)."""

    serializer_class = WebhookDeliverySerializer
    permission_classes = [requires("analytics.view_webhookdelivery")]
    filterset_fields = ["rule", "event", "status"]
    queryset = WebhookDelivery.objects.none()  # for the schema

    def get_queryset(self):
        return WebhookDelivery.objects.filter(rule__camera__in=cameras_visible_to(self.request.user))
