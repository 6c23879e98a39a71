"""Routes of the REST API under /api/v1/."""

from django.urls import include, path
from rest_framework.routers import DefaultRouter

from accounts.api.views import (
    ApiTokenViewSet,
    AuditEntryViewSet,
    CameraAccessViewSet,
    MeView,
    PreferencesView,
    SessionLoginView,
    SessionLogoutView,
    TokenView,
    UserViewSet,
    WebsocketTicketView,
)
from analytics.api.views import (
    AlarmViewSet,
    CountList,
    EventSnapshot,
    EventViewSet,
    RuleViewSet,
    WebhookDeliveryViewSet,
    ZoneViewSet,
)
from devices.api.ptz_views import PtzTourViewSet
from devices.api.views import (
    AnnouncementViewSet,
    CameraViewSet,
    DeviceEventViewSet,
    OnvifDiscoveryView,
    OnvifProfilesView,
    PrivacyMaskViewSet,
    SitePlanViewSet,
)
from recordings.api.views import (
    CameraClip,
    CameraObjectTracks,
    CameraPlaylist,
    CameraSceneMetadata,
    CameraSegmentList,
    CameraTimeline,
    SegmentInit,
    SegmentPart,
)
from redaction.api.views import ExportTrackStripPicture, ExportTrackThumbnail, ExportViewSet, SigningKeyView
from vms.api.health import HealthView

router = DefaultRouter()
router.register("auth/tokens", ApiTokenViewSet, basename="api-token")
router.register("cameras", CameraViewSet, basename="camera")
router.register("users", UserViewSet, basename="user")
router.register("camera-access", CameraAccessViewSet, basename="camera-access")
router.register("audit", AuditEntryViewSet, basename="audit")
router.register("events", EventViewSet, basename="event")
router.register("device-events", DeviceEventViewSet, basename="device-event")
router.register("alarms", AlarmViewSet, basename="alarm")
router.register("webhook-deliveries", WebhookDeliveryViewSet, basename="webhook-delivery")
router.register(r"cameras/(?P<camera_id>[0-9]+)/zones", ZoneViewSet, basename="camera-zone")
router.register(r"cameras/(?P<camera_id>[0-9]+)/rules", RuleViewSet, basename="camera-rule")
router.register(r"cameras/(?P<camera_id>[0-9]+)/privacy-masks", PrivacyMaskViewSet, basename="camera-privacy-mask")
router.register(r"cameras/(?P<camera_id>[0-9]+)/ptz/tours", PtzTourViewSet, basename="camera-ptz-tour")
router.register("exports", ExportViewSet, basename="export")
router.register("site-plans", SitePlanViewSet, basename="site-plan")
router.register("announcements", AnnouncementViewSet, basename="announcement")

urlpatterns = [
    path("auth/token/", TokenView.as_view(), name="auth-token"),
    path("auth/login/", SessionLoginView.as_view(), name="auth-login"),
    path("auth/logout/", SessionLogoutView.as_view(), name="auth-logout"),
    path("auth/ws-ticket/", WebsocketTicketView.as_view(), name="auth-ws-ticket"),
    path("auth/me/", MeView.as_view(), name="auth-me"),
    path("auth/me/preferences/", PreferencesView.as_view(), name="auth-preferences"),
    path("health/", HealthView.as_view(), name="health"),
    path("onvif/profiles/", OnvifProfilesView.as_view(), name="onvif-profiles"),
    path("onvif/discovery/", OnvifDiscoveryView.as_view(), name="onvif-discovery"),
    path("cameras/<int:camera_id>/segments/", CameraSegmentList.as_view(), name="camera-segments"),
    path("cameras/<int:camera_id>/timeline/", CameraTimeline.as_view(), name="camera-timeline"),
    path("cameras/<int:camera_id>/scene-metadata/", CameraSceneMetadata.as_view(), name="camera-scene-metadata"),
    path("cameras/<int:camera_id>/object-tracks/", CameraObjectTracks.as_view(), name="camera-object-tracks"),
    path("cameras/<int:camera_id>/playlist.m3u8", CameraPlaylist.as_view(), name="camera-playlist"),
    path("cameras/<int:camera_id>/clip/", CameraClip.as_view(), name="camera-clip"),
    path("segments/<int:segment_id>/init.mp4", SegmentInit.as_view(), name="segment-init"),
    path("segments/<int:segment_id>/media.mp4", SegmentPart.as_view(), name="segment-media"),
    path("counts/", CountList.as_view(), name="counts"),
    path("events/<int:pk>/snapshot.jpg", EventSnapshot.as_view(), name="event-snapshot"),
    path("exports/<int:pk>/tracks/<int:number>/thumbnail.jpg", ExportTrackThumbnail.as_view(),
         name="export-track-thumbnail"),
    path("exports/<int:pk>/tracks/<int:number>/strip/<int:frame>.jpg", ExportTrackStripPicture.as_view(),
         name="export-track-strip"),
    path("signing-key/", SigningKeyView.as_view(), name="signing-key"),
    path("", include(router.urls)),
]
