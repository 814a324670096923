"""Each of the 13 criterion operators, the FieldValue type and the types not evaluated."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from lexsync.routing.rules import Criterion, RuleOptions, compile_criterion

NOW = datetime(2025, 6, 2, 10, 0, tzinfo=ZoneInfo("America/Los_Angeles"))


def passes(op: str, value: str, lead: str | None, *, state: bool = False,
           options: RuleOptions | None = None, type_: str = "FieldValue") -> bool:
    test = compile_criterion(Criterion("F", op, value, type_, state), options or RuleOptions())
    return test(lead, NOW).passed


@pytest.mark.parametrize("op,value,lead,expected", [
    ("Equal", "Full", "full", True),            # A5: case-insensitive by default
    ("Equal", "Full", "Liability", False),
    ("Equal", "25", "25.0", True),               # numbers compare as numbers
    ("Equal", "", None, True),                   # A8: a missing field reads as empty
    ("NotEqual", "None", "Geico", True),
    ("NotEqual", "None", "NONE", False),
    ("Greater", "2000", "2001", True),
    ("Greater", "2000", "2000", False),
    ("Greater", "9", "10", True),                # not text order
    ("Greater", "18", "", False),                # nothing to compare: fails
    ("Greater", "18", "abc", False),
    ("Greater", "b", "c", True),                 # text with text
    ("Less", "65", "64.5", True),
    ("Less", "65", "65", False),
    ("GreaterOrEqual", "2009", "2009", True),
    ("GreaterOrEqual", "2009", "2008", False),
    ("LessOrEqual", "2025-01-01", "2024-12-31", True),   # dates as dates
    ("LessOrEqual", "2025-01-01", "01/02/2025", False),
    ("Between", "25,65", "25", True),            # A6: inclusive
    ("Between", "25,65", "65", True),
    ("Between", "25,65", "66", False),
    ("Between", "25,65", "24.99", False),
    ("Between", "65,25", "30", False),           # reversed: nothing passes (lint says so)
    ("In", "CA,NV", "nv", True),
    ("In", "CA,NV", "TX", False),
    ("In", "1,2,3", "2.0", True),
    ("In", "CA,NV", None, False),
    ("NotIn", "CA,NV", "TX", True),
    ("NotIn", "CA,NV", "CA", False),
    ("NotIn", "CA,NV", None, True),
    ("Contains", "gmail,yahoo", "x@GMAIL.com", True),   # A7: any item
    ("Contains", "gmail,yahoo", "x@aol.com", False),
    ("Doesnt_Contain", "test,fake", "Real Person", True),
    ("Doesnt_Contain", "test,fake", "my TEST lead", False),
    ("DateCompare", "30", "2025-05-10", True),          # A12: within 30 days before today
    ("DateCompare", "30", "2025-04-01", False),
    ("DateCompare", "30", "2025-06-03", False),          # not after today
    ("DateCompare", "7300,36500", "1980-05-05", True),   # between 20 and 100 years ago
    ("DateCompare", "7300,36500", "2010-05-05", False),
    ("DateCompare", "2025-06-01,2025-06-30", "2025-06-15", True),
    ("DateCompare", "2025-06-01", "2025-06-01", True),
    ("DateCompare", "30", "not a date", False),
    ("Distance_Compare", "90210,10", "90024", True),     # A11: Beverly Hills to Westwood
    ("Distance_Compare", "90210,10", "10001", False),    # to New York
    ("Distance_Compare", "90210,10", "00000", False),    # unknown ZIP
    ("Distance_Compare", "90210", "90210", False),       # not ZIP,MILES
])
def test_operator(op: str, value: str, lead: str | None, expected: bool) -> None:
    assert passes(op, value, lead) is expected


def test_state_fields_compare_abbreviations_with_names() -> None:
    assert passes("In", "TX,California", "CA", state=True)
    assert passes("Equal", "New York", "ny", state=True)
    assert not passes("NotIn", "texas", "TX", state=True)
    assert not passes("In", "TX", "Texas City", state=True)


def test_options_change_the_reading() -> None:
    assert not passes("Equal", "Full", "full", options=RuleOptions(case_sensitive=True))
    assert not passes("Between", "25,65", "25", options=RuleOptions(between_inclusive=False))
    assert passes("Between", "25,65", "26", options=RuleOptions(between_inclusive=False))
    assert not passes("NotIn", "CA", None, options=RuleOptions(missing_field="fail"))
    assert passes("DateCompare", "x", "y", options=RuleOptions(date_compare="not_evaluated"))
    assert passes("Distance_Compare", "x", "y", options=RuleOptions(distance_compare="not_evaluated"))


@pytest.mark.parametrize("type_", ["Expression", "Function"])
def test_expression_and_function_are_not_evaluated(type_: str) -> None:
    test = compile_criterion(Criterion("F", "Equal", "1", type_), RuleOptions())
    verdict = test("anything", NOW)
    assert verdict.passed and not verdict.evaluated and type_ in verdict.why
    failing = compile_criterion(Criterion("F", "Equal", "1", type_), RuleOptions(unevaluated="fail"))
    assert not failing("anything", NOW).passed


def test_a_failure_says_what_the_lead_had() -> None:
    test = compile_criterion(Criterion("Age", "Between", "25,65"), RuleOptions())
    assert test("19", NOW).why == "'19' is not between 25 and 65"
    missing = compile_criterion(Criterion("Age", "In", "1"), RuleOptions(missing_field="fail"))
    assert missing(None, NOW).why == "the lead has no Age"
