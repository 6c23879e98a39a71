"""Websockets of clients without a session: a single-use ticket in the URL (POST /api/v1/auth/ws-ticket/) or the
token in the Authorization header; a token in the URL, which proxies log, opens nothing."""

from __future__ import annotations

import pytest
import redis
from channels.db import database_sync_to_async
from channels.testing import WebsocketCommunicator
from django.conf import settings
from django.core.cache import cache

from accounts import tickets, tokens
from accounts.models import ApiToken
from tests.conftest import api_key_for, client_for, grant
from vms.asgi import application

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.asyncio]
ORIGIN = (b"origin", b"http://127.0.0.1")


async def connect(path: str, *headers: tuple[bytes, bytes]) -> tuple[bool, int | None]:
    communicator = WebsocketCommunicator(application, path, headers=[ORIGIN, *headers])
    connected, code = await communicator.connect(timeout=5)
    if connected:
        await communicator.disconnect()
    return connected, code


@database_sync_to_async
def ticket_for(user) -> dict:
    response = client_for(user).post("/api/v1/auth/ws-ticket/")
    assert response.status_code == 200, response.content
    return response.json()


async def test_a_ticket_opens_one_websocket_once(operator_user, camera):
    await database_sync_to_async(grant)(camera, user=operator_user)
    ticket = await ticket_for(operator_user)
    assert ticket["expires_in"] == tickets.TICKET_SECONDS == 30
    assert await connect(f"/ws/cameras/{camera.pk}/?ticket={ticket['ticket']}") == (True, None)
    assert await connect(f"/ws/cameras/{camera.pk}/?ticket={ticket['ticket']}") == (False, 4403), "used already"
    assert await connect(f"/ws/cameras/{camera.pk}/?ticket=made-up") == (False, 4403)


async def test_a_ticket_lives_thirty_seconds_in_the_shared_cache(operator_user):
    ticket = (await ticket_for(operator_user))["ticket"]
    key = cache.make_key("vms:ws-ticket:" + tokens.digest(ticket))
    seconds_left = redis.Redis.from_url(settings.REDIS_URL).ttl(key)
    assert 0 < seconds_left <= 30


async def test_an_api_token_opens_a_websocket_in_the_header_but_not_in_the_url(operator_user, camera):
    await database_sync_to_async(grant)(camera, user=operator_user)
    key = await database_sync_to_async(api_key_for)(operator_user)
    assert await connect(f"/ws/cameras/{camera.pk}/", (b"authorization", f"Token {key}".encode())) == (True, None)
    assert await connect(f"/ws/cameras/{camera.pk}/?token={key}") == (False, 4403)


async def test_a_ticket_asked_for_with_a_token_dies_with_the_token(operator_user, camera):
    await database_sync_to_async(grant)(camera, user=operator_user)
    ticket = await ticket_for(operator_user)
    await database_sync_to_async(ApiToken.objects.filter(user=operator_user).delete)()
    assert await connect(f"/ws/cameras/{camera.pk}/?ticket={ticket['ticket']}") == (False, 4403)
