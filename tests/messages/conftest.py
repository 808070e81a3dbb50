"""Fixtures of the message tests (their helpers are in ``message_rig``)."""

from message_rig import message_changes, rig, sms_gateway, smtp

__all__ = ["message_changes", "rig", "sms_gateway", "smtp"]
