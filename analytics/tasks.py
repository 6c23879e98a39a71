"""Celery tasks of the analytics: webhook deliveries (retried with backoff), relay outputs switched by rules (and
pulses by hand ended), PTZ cameras sent to a preset by rules (gatekeeper) or turned to follow a radar's object, and
home again, announcements played on cameras' speakers, and event-only footage."""

from celery import shared_task

from analytics import services
from analytics.footage import drop_footage_without_events as drop
from devices import relays

HOLD_SLACK_SECONDS = 1.0


class DeliveryNotDone(Exception):
    """The receiver did not take the webhook yet: Celery retries with backoff."""


@shared_task(name="analytics.tasks.deliver_webhook", ignore_result=True, autoretry_for=(DeliveryNotDone,),
             retry_backoff=2, retry_backoff_max=300, max_retries=None)
def deliver_webhook(delivery_id: int) -> None:
    # Attempts are counted on the delivery row; deliver() marks it failed after VMS_WEBHOOK_ATTEMPTS.
    if not services.deliver(delivery_id):
        raise DeliveryNotDone(delivery_id)


@shared_task(name="analytics.tasks.drop_footage_without_events", ignore_result=True)
def drop_footage_without_events() -> int:
    return drop().deleted


@shared_task(name="analytics.tasks.pulse_relay", ignore_result=True)
def pulse_relay(event_id: int) -> None:
    """Switch on the relay output of the rule that made the event; switch it off after the rule's time."""
    switched = services.switch_relay_on(event_id)
    if switched is not None:
        device_id, token, seconds = switched
        release_relay.apply_async((event_id, token), {"device_id": device_id}, countdown=seconds)


@shared_task(name="analytics.tasks.send_ptz_camera", ignore_result=True)
def send_ptz_camera(event_id: int) -> None:
    """Gatekeeper: send the rule's PTZ camera to its preset and hold it; home after the hold with no new event."""
    _check_home_after(services.send_ptz_camera(event_id))


@shared_task(name="analytics.tasks.follow_with_ptz", ignore_result=True)
def follow_with_ptz(event_id: int, point: tuple[float, float], first: bool) -> None:
    """Gatekeeper following a radar's object: turn the rule's PTZ camera towards it and hold it; home after the
    hold once the object is no longer followed."""
    _check_home_after(services.follow_with_ptz(event_id, tuple(point), first))


def _check_home_after(hold: services.Hold | None) -> None:
    """A moment after the hold ends, see whether it has (unless a later event renewed it) and send the camera home."""
    if hold is not None:
        return_ptz_home.apply_async((hold.camera_id, hold.rule_name, hold.session),
                                    countdown=hold.seconds + HOLD_SLACK_SECONDS)


@shared_task(name="analytics.tasks.play_announcement", ignore_result=True)
def play_announcement(event_id: int) -> None:
    """Play the announcement of the rule that made the event on a camera's speaker."""
    services.play_announcement(event_id)


@shared_task(name="analytics.tasks.return_ptz_home", ignore_result=True)
def return_ptz_home(camera_id: int, rule_name: str, session: str = "") -> None:
    services.return_ptz_home(camera_id, rule_name, session)


@shared_task(name="analytics.tasks.release_relay", ignore_result=True)
def release_relay(event_id: int | None, token: str, pulse: dict | None = None, device_id: int | None = None) -> None:
    """Switch off a relay output at the end of a pulse: a rule's (its event's, on `device_id`) or one by hand
    (`pulse`: the device, who, for how long and since when, as devices.relays.switch_by_hand sends it)."""
    if pulse is not None:
        relays.end_pulse(token, **pulse)
    elif event_id is not None:
        services.switch_relay_off(event_id, token, device_id)
