"""The app's parts, one job each, composed by :class:`console.app.AgentConsole`.

Each part is a mixin over :class:`~console.shell.base.Shell` (the state the parts share, and
the small helpers every part uses); Textual sees their actions, ``@on`` handlers and workers
as the app's own, because they are methods of the app's class:

- ``modes``: the screens (modes) other than the lookup, imported when first shown;
- ``palette``: the command palette's commands;
- ``presence``: this desk's state on the floor (ready, away, the heartbeat);
- ``sync_status``: the Store's state shown (status bars, banner) and announced (back online,
  sync issues, confirmed references);
- ``screen_pop``: a call ringing on this desk's extension;
- ``open_calls``: calls an earlier session left open, offered for wrap-up;
- ``day_watch``: the desk's day, rolled on at midnight;
- ``first_contact``: a desk never yet online waits for the central system, trying again;
- ``quitting``: what quitting would leave behind, and quitting anyway;
- ``errors``: every error shown in one place.
"""
