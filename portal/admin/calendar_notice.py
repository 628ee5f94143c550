"""A State Council holiday notice as an administrator types it, read strictly; and back.

One line per holiday period and one per weekend worked, as the notice lists them:

    2027-02-06 至 2027-02-13 春节      days off, named
    2027-04-05 清明节                  one day off
    2027-02-14 上班                    a weekend day worked (调休)
    2027-02-20 上班 春节               the same, naming the holiday it makes up for

The two keywords may also be written in English ("to", "work"); lines written back for
correction use the reader's language.

Blank lines are skipped. Every line is read before anything is saved, and each bad line gets a
message naming its number; a notice with one bad line is refused whole.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from flask_babel import gettext as _

from portal.words import N_, render
from portal.workdays import SpecialDay

MAX_LINES = 60
MAX_PERIOD_DAYS = 31  # the longest holiday ever announced is nine days
MAX_NAME = 40  # calendar_days.holiday
THROUGH = N_("至")
WORKED = N_("上班")
# Either language's keyword is read, whatever the page's language.
THROUGH_WORDS = frozenset({THROUGH, "to"})
WORKED_WORDS = frozenset({WORKED, "work"})
_DATE = re.compile(r"\d{4}-\d{2}-\d{2}", re.ASCII)
_SHOWN_TEXT = 20  # how much of a bad word a message repeats


@dataclass(frozen=True)
class NoticeDay:
    """A day the notice sets apart: off (with the holiday's name) or worked."""

    day: dt.date
    working: bool
    name: str | None


class NoticeRefused(ValueError):
    """The notice cannot be saved; `problems` says what to fix, line by line."""

    def __init__(self, problems: Sequence[str]) -> None:
        super().__init__("; ".join(problems))
        self.problems = list(problems)


class _BadLine(ValueError):
    pass


def read_notice(year: int, text: str) -> list[NoticeDay]:
    """The days a notice's lines set for `year`, in date order; NoticeRefused if any is wrong."""
    filled = [(number, line.split()) for number, line in enumerate(text.splitlines(), 1)]
    filled = [(number, words) for number, words in filled if words]
    if not filled:
        raise NoticeRefused([_("请至少填写一行：放假的日期段，或调休上班的日期。")])
    if len(filled) > MAX_LINES:
        raise NoticeRefused(
            [_("最多 %(max)s 行，现有 %(count)s 行。", max=MAX_LINES, count=len(filled))]
        )
    seen: dict[dt.date, int] = {}
    days: list[NoticeDay] = []
    problems: list[str] = []
    for number, words in filled:
        try:
            line_days = _read_line(year, words)
            _check_not_listed(line_days, seen)
        except _BadLine as bad:
            problems.append(_("第 %(line)s 行：%(problem)s", line=number, problem=str(bad)))
            continue
        seen.update(dict.fromkeys((d.day for d in line_days), number))
        days.extend(line_days)
    if problems:
        raise NoticeRefused(problems)
    return sorted(days, key=lambda d: d.day)


def _read_line(year: int, words: list[str]) -> list[NoticeDay]:
    if len(words) < 2:
        raise _BadLine(_format_hint())
    first = _date(words[0], year)
    if words[1] in THROUGH_WORDS:
        if len(words) < 4:
            raise _BadLine(_format_hint())
        return _days_off(first, _date(words[2], year), _name(words[3:]))
    if words[1] in WORKED_WORDS:
        if first.weekday() < 5:
            raise _BadLine(
                _(
                    "%(date)s 是周一至周五，本来就上班；只需列出调休上班的周末。",
                    date=first.isoformat(),
                )
            )
        return [NoticeDay(first, working=True, name=_name(words[2:]) or None)]
    return _days_off(first, first, _name(words[1:]))


def _days_off(first: dt.date, last: dt.date, name: str) -> list[NoticeDay]:
    if not name:
        raise _BadLine(_format_hint())
    if name in WORKED_WORDS:
        raise _BadLine(_("调休上班的日期请每天写一行，如“2027-02-14 上班”。"))
    if last < first:
        raise _BadLine(
            _(
                "结束日期 %(last)s 早于开始日期 %(first)s。",
                last=last.isoformat(),
                first=first.isoformat(),
            )
        )
    count = (last - first).days + 1
    if count > MAX_PERIOD_DAYS:
        raise _BadLine(_("一段假期最长 %(max)s 天。", max=MAX_PERIOD_DAYS))
    return [NoticeDay(first + dt.timedelta(days=i), False, name) for i in range(count)]


def _date(word: str, year: int) -> dt.date:
    if not _DATE.fullmatch(word):
        raise _BadLine(
            _("“%(text)s”不是日期；日期写成 2027-02-06 的格式。", text=word[:_SHOWN_TEXT])
        )
    try:
        day = dt.date.fromisoformat(word)
    except ValueError:
        raise _BadLine(_("%(text)s 这一天不存在。", text=word)) from None
    if day.year != year:
        raise _BadLine(_("%(date)s 不在 %(year)s 年内。", date=word, year=year))
    return day


def _name(words: list[str]) -> str:
    name = " ".join(words)
    if len(name) > MAX_NAME:
        raise _BadLine(_("节日名称最长 %(max)s 个字。", max=MAX_NAME))
    return name


def _check_not_listed(days: Iterable[NoticeDay], seen: dict[dt.date, int]) -> None:
    for day in days:
        if day.day in seen:
            raise _BadLine(
                _(
                    "%(date)s 已在第 %(earlier)s 行列出。",
                    date=day.day.isoformat(),
                    earlier=seen[day.day],
                )
            )


def _format_hint() -> str:
    return _("格式应为“2027-02-06 至 2027-02-13 春节”“2027-04-05 清明节”或“2027-02-14 上班”。")


# --- back to lines and periods -------------------------------------------------------------------


@dataclass(frozen=True)
class Period:
    """Consecutive days set apart alike: a holiday period, or a weekend day worked."""

    first: dt.date
    last: dt.date
    working: bool
    name: str
    entered: bool

    @property
    def days(self) -> int:
        return (self.last - self.first).days + 1


def periods(days: Sequence[SpecialDay]) -> list[Period]:
    """The days (in date order) joined into periods of consecutive days alike."""
    joined: list[Period] = []
    for day in days:
        last = joined[-1] if joined else None
        if (
            last is not None
            and last.last + dt.timedelta(days=1) == day.day
            and (last.working, last.name, last.entered) == (day.working, day.name, day.entered)
        ):
            joined[-1] = Period(last.first, day.day, last.working, last.name, last.entered)
        else:
            joined.append(Period(day.day, day.day, day.working, day.name, day.entered))
    return joined


def notice_lines(days: Sequence[SpecialDay]) -> str:
    """The lines an administrator would type for these days (to correct what was entered), with
    the keywords in the reader's language."""
    through, worked_word = render(THROUGH), render(WORKED)
    lines = []
    for period in periods(days):
        first, last = period.first.isoformat(), period.last.isoformat()
        if period.working:
            for i in range(period.days):
                worked = (period.first + dt.timedelta(days=i)).isoformat()
                lines.append(" ".join(filter(None, (worked, worked_word, period.name))))
        elif period.days == 1:
            lines.append(f"{first} {period.name}")
        else:
            lines.append(f"{first} {through} {last} {period.name}")
    return "\n".join(lines)
