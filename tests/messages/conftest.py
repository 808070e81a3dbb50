"""Fixtures of the message tests (their helpers are in ``message_rig``)."""

from message_rig import rig, sms_gateway, smtp

__all__ = ["rig", "sms_gateway", "smtp"]
