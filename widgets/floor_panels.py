"""The floor's other panels: the day's figures, the callback queue's, calls, bookings and
missed calls per hour (a plotext chart), slot fill for the next working days by service, and
the alerts. Each is given the :class:`Floor` to show."""

from __future__ import annotations

from rich.console import Group
from rich.table import Table
from rich.text import Text
from textual.widgets import Static
from textual_plotext import PlotextPlot

from console import i18n
from console.domain.floor import Floor, FloorHour
from console.i18n import _
from widgets.floor_text import alert_text, duration, fill_style, percent, shortened
from widgets.sized_table import SizedTable

WORKDAY = (8, 16)  # hours always on the chart (Ljubljana time), whatever the calls


def figures_grid() -> Table:
    """Two label-and-figure pairs a row: the floor's blocks of figures."""
    grid = Table.grid(padding=(0, 2))
    grid.add_column(style="dim")
    grid.add_column(justify="right", style="bold")
    grid.add_column(style="dim")
    grid.add_column(justify="right", style="bold")
    return grid


class DayFigures(Static):
    """Today: calls, handle times, bookings, dispositions, open directory reports."""

    def show(self, floor: Floor, labels: dict[str, str] | None = None) -> None:
        """``labels``: the dispositions' names by code, in the console's language."""
        labels = labels or {}
        day = floor.today
        grid = figures_grid()
        grid.add_row(_("Calls"), str(day.calls), _("Wrapped up"), str(day.wrapped))
        grid.add_row(
            _("Avg handle"),
            duration(day.avg_handle_seconds),
            _("Avg after-call work"),
            duration(day.avg_after_call_work_seconds),
        )
        grid.add_row(_("Bookings"), str(day.bookings), _("Cancellations"), str(day.cancellations))
        grid.add_row(
            _("Reschedules"), str(day.reschedules), _("Open reports"), str(day.open_reports)
        )
        if not day.dispositions:
            self.update(grid)
            return
        shown = Text(_("Dispositions") + ": ", style="dim")
        for index, count in enumerate(day.dispositions):
            if index:
                shown.append(" · ")
            shown.append(labels.get(count.code, count.code))
            shown.append(f" {count.count}", style="bold")
        self.update(Group(grid, shown))


class CallbackFigures(Static):
    """The callback queue: its length (due now, being called), the oldest wait, the share of
    today's closed callbacks that reached the caller, and today's calls that did not get
    through."""

    def show(self, floor: Floor) -> None:
        queue = floor.callbacks
        grid = figures_grid()
        grid.add_row(_("In the queue"), str(queue.queue_length), _("Due now"), str(queue.due_now))
        grid.add_row(
            _("Oldest wait"),
            duration(queue.oldest_wait_seconds),
            _("Being called"),
            str(queue.claimed),
        )
        if queue.reached_share is None:
            reached = "—"
        else:
            reached = _("{share} ({reached} of {closed})").format(
                share=percent(queue.reached_share),
                reached=queue.reached_today,
                closed=queue.closed_today,
            )
        grid.add_row(_("Reached today"), reached, _("Missed calls today"), str(queue.missed_today))
        self.update(grid)


class MessageFigures(Static):
    """Today's messages to callers (confirmations, reminders) by status: queued (and being
    sent), sent, failed (in red: a caller was not told), withdrawn."""

    def show(self, floor: Floor) -> None:
        counts = floor.messages
        grid = figures_grid()
        failed = Text(str(counts.failed), style="bold red" if counts.failed else "bold")
        grid.add_row(_("Queued"), str(counts.queued + counts.sending), _("Sent"), str(counts.sent))
        grid.add_row(_("Failed"), failed, _("Withdrawn"), str(counts.cancelled))
        self.update(grid)


def chart_hours(hours: list[FloorHour]) -> list[FloorHour]:
    """The hours worth a bar: the working day, and any hour with calls, bookings or missed
    calls."""
    busy = [i for i, hour in enumerate(hours) if hour.calls or hour.bookings or hour.missed_calls]
    keep = [i for i, hour in enumerate(hours) if WORKDAY[0] <= int(hour.hour[:2]) < WORKDAY[1]]
    wanted = busy + keep
    if not wanted:
        return hours
    return hours[min(wanted) : max(wanted) + 1]


class HourChart(PlotextPlot):
    """Calls, bookings and missed calls (the telephone system's calls that did not get
    through) per hour of today, as bars."""

    def show(self, floor: Floor) -> None:
        hours = chart_hours(floor.today.hours)
        plt = self.plt
        plt.clear_figure()
        labels = [hour.hour[:2] for hour in hours]
        plt.multiple_bar(  # type: ignore[call-arg]  # (the stub says label; plotext: labels)
            labels,
            [
                [hour.calls for hour in hours],
                [hour.bookings for hour in hours],
                [hour.missed_calls for hour in hours],
            ],
            labels=[_("calls"), _("bookings"), _("missed")],
        )
        plt.title(_("Calls, bookings and missed calls per hour"))
        self.refresh()


class SlotFillTable(SizedTable):
    """Free slots and fill in the next working days, by service."""

    def __init__(self, *, id: str | None = None, classes: str | None = None) -> None:
        super().__init__(
            id=id, classes=classes, cursor_type="none", zebra_stripes=True, show_cursor=False
        )
        self._days: tuple[int, ...] = ()

    def show(self, floor: Floor) -> None:
        days = tuple(floor.thresholds.fill_working_days)
        if days != self._days:
            self.clear(columns=True)
            self.add_column(_("Service"), key="service")
            self.add_column(_("Booked today"), key="today")
            for n in days:
                self.add_column(_("{days} d: free · full").format(days=n), key=f"d{n}")
            self._days = days
        else:
            self.clear()
        english = i18n.language() == "en"
        for service in floor.services:
            cells: list[Text | str] = [
                shortened(service.name_en if english else service.name),
                Text(str(service.bookings_today), justify="right"),
            ]
            by_days = {window.working_days: window for window in service.windows}
            for n in days:
                window = by_days.get(n)
                if window is None:
                    cells.append(Text("—", justify="right"))
                    continue
                cell = Text(f"{window.free} · ", justify="right")
                cell.append(percent(window.fill), style=fill_style(window.fill))
                cells.append(cell)
            self.add_row(*cells, key=str(service.id))


class AlertsList(Static):
    """What needs the supervisor's attention, worded by kind; nothing: says so."""

    def show(self, floor: Floor) -> None:
        if not floor.alerts:
            self.update(Text(_("No alerts."), style="dim"))
            return
        text = Text()
        for index, alert in enumerate(floor.alerts):
            if index:
                text.append("\n")
            text.append_text(alert_text(alert))
        self.update(text)
