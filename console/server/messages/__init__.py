"""Confirmations and reminders to callers: a transactional outbox and one sender.

- :mod:`.outbox` writes a booking's, reschedule's or cancel's messages in that write's own
  transaction, makes pending ones moot, and reads them back (per caller, per booking, today's
  counts);
- :mod:`.content` renders them (plain text, HTML, an iCalendar invitation, an SMS);
- :mod:`.sender` claims due messages and sends them (:mod:`.smtp`, :mod:`.sms_gateway`), one
  sender at a time across processes;
- :mod:`.sink` is ``agent-console mail-sink``, a local SMTP server (and SMS endpoint) for demos.
"""
