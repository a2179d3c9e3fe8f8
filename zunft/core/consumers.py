from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncJsonWebsocketConsumer

from zunft.core.realtime import may_join


class EventsConsumer(AsyncJsonWebsocketConsumer):
    """One socket per browser tab. It joins ``user.<id>`` (and ``office`` for office staff) at
    connect; the client asks for more groups with ``{"subscribe": "package.12"}``. Every join is
    checked with the same rules as the API."""

    async def connect(self):
        user = self.scope.get("user")
        if user is None or not user.is_authenticated:
            await self.close(code=4401)
            return
        if not await database_sync_to_async(self._second_factor_given)(user):
            await self.close(code=4403)
            return
        self.joined: set[str] = set()
        await self.accept()
        await self._join(f"user.{user.pk}")
        if user.is_office:
            await self._join("office")
        await self.send_json({"type": "hello", "groups": sorted(self.joined)})

    def _second_factor_given(self, user) -> bool:
        """The HTTP rule for sockets: office staff and workshop admins need the second factor
        confirmed in this session (django-otp keeps the verified device's id in it)."""
        from django_otp import DEVICE_ID_SESSION_KEY
        from django_otp.models import Device

        from zunft.core.twofactor import needs_second_factor

        if not needs_second_factor(user):
            return True
        device_id = self.scope.get("session", {}).get(DEVICE_ID_SESSION_KEY)
        device = Device.from_persistent_id(device_id) if device_id else None
        return device is not None and device.user_id == user.pk

    async def disconnect(self, code):
        for group in getattr(self, "joined", set()):
            await self.channel_layer.group_discard(group, self.channel_name)

    async def receive_json(self, content, **kwargs):
        group = content.get("subscribe") if isinstance(content, dict) else None
        if not isinstance(group, str):
            await self.send_json({"type": "error", "detail": 'expected {"subscribe": GROUP}'})
            return
        allowed = await database_sync_to_async(may_join)(self.scope["user"], group)
        if not allowed:
            await self.send_json({"type": "denied", "group": group})
            return
        await self._join(group)
        await self.send_json({"type": "subscribed", "group": group})

    async def _join(self, group: str):
        await self.channel_layer.group_add(group, self.channel_name)
        self.joined.add(group)

    async def event_message(self, message):
        await self.send_json(message["event"])
