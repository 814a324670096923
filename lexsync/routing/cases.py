"""Routing test cases kept with the configuration, and running them.

A test file (`tests/*.yaml` beside the configuration, or `*.test.yaml`) holds:

    defaults: {at: "2025-06-02T10:00 America/Chicago", lead: {lead_type: Auto Insurance}}
    cases:
      - name: California auto lead on a weekday morning
        lead: {State: CA, Age: 30}
        expect: [summit-auto/summit-auto-exclusive, harbor-mutual]   # buyers in order
      - name: Nobody buys Alaska
        lead: {State: AK}
        expect: none

`expect` lists the buyers in scan order, each `client/account` or just `client`; `none` (or
`[]`) means no buyer.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import tzinfo
from pathlib import Path

from lexsync.errors import SourceLocation
from lexsync.routing.leads import Lead, LeadError, make_lead
from lexsync.routing.moment import parse_moment
from lexsync.routing.route import Router, RouteResult

TEST_DIR = "tests"
TEST_SUFFIX = ".test.yaml"
_CASE_KEYS = {"name", "lead", "at", "expect"}


@dataclass(frozen=True)
class TestCase:
    name: str
    where: str
    lead: Lead
    at: str
    expect: tuple[str, ...]  # () = no buyer


@dataclass
class CaseOutcome:
    case: TestCase
    result: RouteResult
    actual: list[str]
    passed: bool
    diff: list[str]


def discover(config_path: Path) -> list[Path]:
    """`tests/**/*.yaml` beside the configuration, and `*.test.yaml` next to a single file."""
    root = config_path if config_path.is_dir() else config_path.parent
    found = {p for p in (root / TEST_DIR).rglob("*") if p.suffix in (".yaml", ".yml") and p.is_file()}
    found.update(p for p in root.glob(f"*{TEST_SUFFIX}") if p.is_file())
    return sorted(found)


def load_cases(path: Path) -> list[TestCase]:
    from lexsync.config.yamlio import load_yaml_file

    data, positions = load_yaml_file(path, str(path))

    def where(*at: str | int) -> str:
        spot: SourceLocation | None = positions.locate(at)
        return str(spot) if spot else str(path)

    if not isinstance(data, Mapping) or not isinstance(data.get("cases"), list):
        raise LeadError(f"{where()}: a test file needs `cases:`, a list of cases "
                        "(name, lead, at, expect)")
    unknown = set(data) - {"cases", "defaults"}
    if unknown:
        raise LeadError(f"{where(sorted(unknown)[0])}: unknown key {sorted(unknown)[0]!r} "
                        "(a test file has defaults and cases)")
    defaults = data.get("defaults") or {}
    if not isinstance(defaults, Mapping) or set(defaults) - {"lead", "at"}:
        raise LeadError(f"{where('defaults')}: defaults may hold lead and at")
    base_lead = defaults.get("lead") or {}
    cases = []
    for index, raw in enumerate(data["cases"]):
        here = where("cases", index)
        if not isinstance(raw, Mapping):
            raise LeadError(f"{here}: a case is a mapping with name, lead, at and expect")
        extra = set(raw) - _CASE_KEYS
        if extra:
            name = sorted(extra)[0]
            raise LeadError(f"{where('cases', index, name)}: unknown key {name!r} in a case "
                            f"(known: {', '.join(sorted(_CASE_KEYS))})")
        lead_data = raw.get("lead")
        if not isinstance(lead_data, Mapping):
            raise LeadError(f"{here}: the case needs `lead:`, a mapping of lead fields")
        at = raw.get("at", defaults.get("at"))
        if at is None:
            raise LeadError(f"{here}: the case needs `at:` (a moment), here or in defaults")
        if "expect" not in raw:
            raise LeadError(f"{here}: the case needs `expect:`, the buyers in order or none")
        name = str(raw.get("name") or f"case {index + 1}")
        lead = make_lead({**base_lead, **lead_data, "lead_name": name}, where("cases", index, "lead"))
        cases.append(TestCase(name, here, lead, str(at),
                              _expectation(raw["expect"], where("cases", index, "expect"))))
    return cases


def _expectation(value: object, where: str) -> tuple[str, ...]:
    if value is None or value == [] or (isinstance(value, str) and value.strip().lower() == "none"):
        return ()
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list) or not all(isinstance(v, str) and v.strip() for v in value):
        raise LeadError(f"{where}: expect is a list of buyers (client/account or client), or none")
    return tuple(_short(v.strip()) for v in value)


def _short(ref: str) -> str:
    """`client.X.delivery_account.Y` written as `X/Y`."""
    if ref.startswith("client.") and ".delivery_account." in ref:
        client, _, account = ref[len("client."):].partition(".delivery_account.")
        return f"{client}/{account}"
    return ref


def matches(expected: str, actual: str) -> bool:
    return expected == actual or ("/" not in expected and actual.split("/", 1)[0] == expected)


def run_case(router: Router, case: TestCase, default_zone: tzinfo) -> CaseOutcome:
    moment = parse_moment(case.at, default_zone)
    result = router.route(case.lead, moment)
    actual = [a.account.ref for a in result.buyers]
    passed = len(actual) == len(case.expect) and all(
        matches(e, a) for e, a in zip(case.expect, actual, strict=True))
    return CaseOutcome(case, result, actual, passed, [] if passed else _diff(case, result, actual))


def _diff(case: TestCase, result: RouteResult, actual: list[str]) -> list[str]:
    lines = [f"expected: {', '.join(case.expect) or 'no buyer'}",
             f"actual:   {', '.join(actual) or 'no buyer'}"]
    for expected in case.expect:
        if any(matches(expected, a) for a in actual):
            continue
        why = [r for r in result.rejected if matches(expected, r.account.ref)]
        for rejection in why:
            lines.append(f"  - {rejection.account.ref}: {rejection.reason}")
        if not why and not any(matches(expected, a.account.ref) for a in result.accepted):
            lines.append(f"  - {expected}: no account of lead type {result.lead_type} by that name")
        elif not why:
            lines.append(f"  - {expected}: accepts, but its client takes the lead through "
                         "another account")
    for ref in actual:
        if not any(matches(e, ref) for e in case.expect):
            lines.append(f"  + {ref}: takes the lead, not expected")
    return lines
