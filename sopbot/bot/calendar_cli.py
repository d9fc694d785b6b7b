"""`sopbot calendar`: an agency's days off, working hours (regular, and for periods such as
Ramadan) and alert thresholds."""

from __future__ import annotations

import argparse
import datetime as dt
from collections.abc import Mapping
from typing import TextIO

from sopbot.bot.settings import Settings
from sopbot.engine.errors import DomainError
from sopbot.engine.hours_text import WEEKDAYS, parse_intervals, parse_weekdays
from sopbot.engine.library import load_library
from sopbot.engine.working_calendar import DayRule, HoursPeriod, Interval, WorkingHours
from sopbot.engine.written_dates import WrittenDateError, parse_day
from sopbot.messaging.working_hours import alike_runs
from sopbot.services.calendar_admin import CalendarAdmin
from sopbot.services.procedures import ProcedureService
from sopbot.storage.database import Database
from sopbot.storage.migrate import upgrade

EXIT_OK = 0
EXIT_PROBLEMS = 1


def add_commands(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add `sopbot calendar ...`."""
    calendar = commands.add_parser("calendar", help="an agency's working calendar")
    sub = calendar.add_subparsers(title="calendar commands", metavar="CALENDAR_COMMAND")
    show = sub.add_parser("show", help="days off (national and the agency's) ahead")
    show.add_argument("agency")
    show.add_argument("--days", type=int, default=90, help="how far ahead (default 90 days)")
    show.set_defaults(handler=_show)
    off = sub.add_parser("off", help="add a day off (e.g. a regional holiday)")
    off.add_argument("agency")
    off.add_argument("date", help="2026-08-30 or 30 Agustus 2026")
    off.add_argument("name", nargs="+", help="why: the occasion or decree")
    off.set_defaults(handler=_off)
    work = sub.add_parser(
        "work", help="make a listed day off a working day (e.g. a moved cuti bersama)"
    )
    work.add_argument("agency")
    work.add_argument("date")
    work.add_argument("name", nargs="+", help="why: the decree")
    work.set_defaults(handler=_work)
    clear = sub.add_parser("clear", help="undo the agency's change of a day")
    clear.add_argument("agency")
    clear.add_argument("date")
    clear.set_defaults(handler=_clear)
    _add_hours_commands(sub)
    _add_rule_commands(sub)


def _add_hours_commands(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """`calendar hours`, `calendar periods` and `calendar clear-period`."""
    hours = sub.add_parser(
        "hours", help="set a weekday's working hours, always or during a period (Ramadan)"
    )
    hours.add_argument("agency")
    hours.add_argument(
        "weekday", help="senin ... minggu, or 0 (Monday) to 6; several: senin-kamis, senin,rabu"
    )
    hours.add_argument("intervals", help='e.g. "07:30-11:30,13:00-16:30", or "-" for a day off')
    hours.add_argument(
        "--nama",
        "--period",
        dest="period",
        help='only during this period, e.g. "Ramadan 1448 H" (the other weekdays keep their hours)',
    )
    hours.add_argument(
        "--dari", "--from", dest="first", help="the period's first day (to create or move it)"
    )
    hours.add_argument("--sampai", "--until", dest="last", help="the period's last day, inclusive")
    hours.set_defaults(handler=_hours)
    periods = sub.add_parser(
        "periods", help="the regular working hours and the periods with other hours"
    )
    periods.add_argument("agency")
    periods.add_argument("--all", action="store_true", help="past periods too")
    periods.set_defaults(handler=_periods)
    clear_period = sub.add_parser(
        "clear-period", help="remove a period: its days keep the regular hours again"
    )
    clear_period.add_argument("agency")
    clear_period.add_argument("name", nargs="+", help='e.g. "Ramadan 1448 H"')
    clear_period.set_defaults(handler=_clear_period)


def _add_rule_commands(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """`calendar policy` (reminders and escalation) and `calendar hari`."""
    policy = sub.add_parser("policy", help="reminder interval and escalation threshold")
    policy.add_argument("agency")
    policy.add_argument("--sop", default="*", help="only for this SOP id (default: all)")
    policy.add_argument(
        "--repeat-minutes",
        type=int,
        required=True,
        help="working minutes between reminders (at least 30)",
    )
    policy.add_argument(
        "--escalate-factor",
        type=float,
        required=True,
        help="escalate at this many times the standard time (e.g. 2)",
    )
    policy.set_defaults(handler=_policy)
    rule = sub.add_parser("hari", help='what "hari" in the SOPs means: kerja or akhir')
    rule.add_argument("agency")
    rule.add_argument("rule", type=day_rule, metavar="kerja|akhir", help=DAY_RULE_HELP)
    rule.set_defaults(handler=_day_rule)


# What each reading of "hari" means, as `sopbot agency create --hari` and `calendar hari` say it.
DAY_RULE_MEANINGS = {
    DayRule.WORKING_TIME: "a working day's worth of working time from when a step opens",
    DayRule.END_OF_DAY: "by the close of the Nth working day after the day a step opens",
}
DAY_RULE_HELP = "; ".join(f"{rule.value}: {text}" for rule, text in DAY_RULE_MEANINGS.items())


def day_rule(written: str) -> DayRule:
    """`kerja` or `akhir` as argparse reads it: anything else is a usage error that says why."""
    try:
        return DayRule(written.strip().lower())
    except ValueError as exc:
        raise argparse.ArgumentTypeError(
            f"'{written}' is not a reading of hari; {DAY_RULE_HELP}"
        ) from exc


def _admin(settings: Settings, agency_key: str, err: TextIO) -> tuple[CalendarAdmin, int] | None:
    database = Database(settings.database_url, audit_key=settings.checked_audit_key())
    upgrade(database)
    procedures = ProcedureService(database, load_library(settings.definitions_dir()))
    admin = CalendarAdmin(procedures)
    agency_id = admin.agency_id(agency_key)
    if agency_id is None:
        print(f"no agency {agency_key}", file=err)
        return None
    return admin, agency_id


def describe_weekdays(by_weekday: Mapping[int, tuple[Interval, ...]]) -> str:
    """Intervals per weekday as this command takes them, alike neighbours joined: "senin-kamis
    08:00-12:00,12:30-15:00; jumat 08:00-11:30,12:30-15:30" ("-" is a day off)."""
    return "; ".join(
        f"{_weekday_range(first, last)} {_intervals_text(spans)}"
        for first, last, spans in alike_runs(by_weekday)
    )


def _weekday_range(first: int, last: int) -> str:
    return WEEKDAYS[first] if first == last else f"{WEEKDAYS[first]}-{WEEKDAYS[last]}"


def _intervals_text(spans: tuple[Interval, ...]) -> str:
    return ",".join(f"{a.strftime('%H:%M')}-{b.strftime('%H:%M')}" for a, b in spans) or "-"


def _regular_line(hours: WorkingHours) -> str:
    week = {day: tuple(hours.by_weekday.get(day, ())) for day in range(7)}
    return f"jam kerja biasa: {describe_weekdays(week)}"


def _period_line(period: HoursPeriod) -> str:
    return (
        f"{period.first.isoformat()}..{period.last.isoformat()}  {period.name}: "
        f"{describe_weekdays(period.by_weekday)}"
    )


def _show(args: argparse.Namespace, settings: Settings, out: TextIO, err: TextIO) -> int:
    found = _admin(settings, args.agency, err)
    if found is None:
        return EXIT_PROBLEMS
    admin, agency_id = found
    today = dt.datetime.now(dt.UTC).date()
    labels = {
        "national": "nasional",
        "agency_off": "libur instansi",
        "agency_working": "masuk (instansi)",
    }
    end = today + dt.timedelta(days=args.days)
    for day in admin.days(agency_id, today, end):
        print(
            f"{day.day.isoformat()}  {WEEKDAYS[day.day.weekday()]:<7} "
            f"{labels[day.source]:<17} {day.name}",
            file=out,
        )
    # The working hours too, with the periods of other hours that fall in the days shown.
    hours = admin.working_hours(agency_id, ending_from=today)
    print(_regular_line(hours.regular), file=out)
    for period in hours.periods:
        if period.first <= end:
            print(_period_line(period), file=out)
    return EXIT_OK


def _change(
    args: argparse.Namespace, settings: Settings, out: TextIO, err: TextIO, kind: str | None
) -> int:
    found = _admin(settings, args.agency, err)
    if found is None:
        return EXIT_PROBLEMS
    admin, agency_id = found
    try:
        day = parse_day(args.date)
        changed = (
            admin.clear_day(agency_id, day)
            if kind is None
            else admin.set_day(agency_id, day, kind, " ".join(args.name))
        )
    except (WrittenDateError, DomainError) as exc:
        print(f"cannot: {exc}", file=err)
        return EXIT_PROBLEMS
    print(
        f"{day.isoformat()}: {kind or 'cleared'}; {changed.moved} open step(s) got a new due time",
        file=out,
    )
    return EXIT_OK


def _off(args: argparse.Namespace, settings: Settings, out: TextIO, err: TextIO) -> int:
    return _change(args, settings, out, err, "off")


def _work(args: argparse.Namespace, settings: Settings, out: TextIO, err: TextIO) -> int:
    return _change(args, settings, out, err, "working")


def _clear(args: argparse.Namespace, settings: Settings, out: TextIO, err: TextIO) -> int:
    return _change(args, settings, out, err, None)


def _hours(args: argparse.Namespace, settings: Settings, out: TextIO, err: TextIO) -> int:
    found = _admin(settings, args.agency, err)
    if found is None:
        return EXIT_PROBLEMS
    admin, agency_id = found
    try:
        weekdays = parse_weekdays(args.weekday)
        intervals = parse_intervals(args.intervals)
        first = parse_day(args.first) if args.first else None
        last = parse_day(args.last) if args.last else None
        if args.period is None:
            if first or last:
                raise ValueError("--dari and --sampai are a period's days: name it with --nama")
            moved = admin.set_hours(agency_id, weekdays, intervals).moved
            what = ""
        else:
            changed = admin.set_period_hours(
                agency_id, args.period, weekdays, intervals, first=first, last=last
            )
            moved = changed.moved
            what = f"{changed.name} ({changed.first.isoformat()}..{changed.last.isoformat()}), "
    except (ValueError, DomainError) as exc:  # WrittenDateError is a ValueError
        print(f"cannot: {exc}", file=err)
        return EXIT_PROBLEMS
    days = ",".join(
        f"{_weekday_range(first, last)}"
        for first, last, _ in alike_runs(dict.fromkeys(weekdays, ()))
    )
    print(
        f"{what}{days}: {args.intervals}; {moved} open step(s) got a new due time",
        file=out,
    )
    return EXIT_OK


def _periods(args: argparse.Namespace, settings: Settings, out: TextIO, err: TextIO) -> int:
    found = _admin(settings, args.agency, err)
    if found is None:
        return EXIT_PROBLEMS
    admin, agency_id = found
    since = dt.date.min if args.all else dt.datetime.now(dt.UTC).date()
    hours = admin.working_hours(agency_id, ending_from=since)
    print(_regular_line(hours.regular), file=out)
    for period in hours.periods:
        print(_period_line(period), file=out)
    if not hours.periods:
        print("no period with other working hours" + ("" if args.all else " ahead"), file=out)
    return EXIT_OK


def _clear_period(args: argparse.Namespace, settings: Settings, out: TextIO, err: TextIO) -> int:
    found = _admin(settings, args.agency, err)
    if found is None:
        return EXIT_PROBLEMS
    admin, agency_id = found
    name = " ".join(args.name)
    try:
        changed = admin.remove_period(agency_id, name)
    except DomainError as exc:
        print(f"cannot: {exc}", file=err)
        return EXIT_PROBLEMS
    print(f"{name}: removed; {changed.moved} open step(s) got a new due time", file=out)
    return EXIT_OK


def _policy(args: argparse.Namespace, settings: Settings, out: TextIO, err: TextIO) -> int:
    found = _admin(settings, args.agency, err)
    if found is None:
        return EXIT_PROBLEMS
    admin, agency_id = found
    try:
        admin.set_policy(
            agency_id,
            sop_id=args.sop,
            repeat_minutes=args.repeat_minutes,
            escalate_factor=args.escalate_factor,
        )
    except DomainError as exc:
        print(f"cannot: {exc}", file=err)
        return EXIT_PROBLEMS
    print(
        f"reminders every {args.repeat_minutes} working minutes, escalation at "
        f"{args.escalate_factor}x the standard ({args.sop})",
        file=out,
    )
    return EXIT_OK


def _day_rule(args: argparse.Namespace, settings: Settings, out: TextIO, err: TextIO) -> int:
    found = _admin(settings, args.agency, err)
    if found is None:
        return EXIT_PROBLEMS
    admin, agency_id = found
    try:
        changed = admin.set_day_rule(agency_id, args.rule)
    except DomainError as exc:
        print(f"cannot: {exc}", file=err)
        return EXIT_PROBLEMS
    print(
        f"hari: {args.rule.value} ({DAY_RULE_MEANINGS[args.rule]}); "
        f"{changed.moved} open step(s) got a new due time",
        file=out,
    )
    return EXIT_OK
