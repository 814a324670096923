"""Import writes YAML from what LeadExec shows; that YAML must expand back to the same
normalised attributes, or the first plan after an import would not be empty. One property
per kind: random live (wire) object → observe → YAML text → loader → expand → no diff."""

from __future__ import annotations

import asyncio
import tempfile
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from lexsync.config.loader import load_configuration
from lexsync.config.writer import SecretRef, dump, escaped, styled, yaml_writer
from lexsync.engine.diff import diff
from lexsync.engine.import_keys import slug
from lexsync.resources.base import Context
from lexsync.resources.catalog import Catalog
from lexsync.resources.client import FIELDS_KEY
from lexsync.resources.registry import BY_NAME
from lexsync.state.document import StateDocument
from tests.engine.fake_api import FakeApi

STATE = StateDocument.new()
CATALOG = Catalog()
asyncio.run(CATALOG.load(FakeApi(), {"Auto Insurance", "Home Insurance"}, need_states=True))
FIELDS = ["FirstName", "LastName", "State", "Age", "Zip"]
FIELD_UIDS = {"FirstName": 101, "LastName": 102, "State": 103, "Age": 104, "Zip": 105}
STATE_UIDS = {"CA": 1, "NV": 2, "TX": 3, "OR": 4}
EXAMPLES = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])

# Text a person could type in the LeadExec UI: quotes, colons, hashes, `${`, unicode.
TEXT = st.text(alphabet=st.sampled_from(list("abcXYZ019 -_:#'\"${}/.&é!?@%")), max_size=16)
NAME = st.text(alphabet=st.sampled_from(list("abcdxyz019-_ ")), min_size=1, max_size=12).filter(
    lambda s: s.strip() != "")


def context() -> Context:
    return Context(catalog=CATALOG, dialect="rest", hash_secret=STATE.hash_secret,
                   ids={"client_group.gold": 101, "client.c": 1001, "client.c.delivery_method.m": 2001})


def expand(config: dict[str, Any], kind: str, environ: dict[str, str] | None = None) -> Any:
    text = dump(yaml_writer(), styled(escaped(config)))
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "lexsync.yaml"
        path.write_text(text, encoding="utf-8")
        loaded = load_configuration(path, environ or {})
    [desired] = [d for d in BY_NAME[kind].expand(loaded.model, context())
                 if kind != "delivery_method" or d.name != "m"]
    return desired


def to_yaml(kind: str, key: str, observed: dict[str, Any],
            refs: dict[str, str] | None = None) -> dict[str, Any]:
    return BY_NAME[kind].to_yaml(key, observed, context(), refs or {})


def assert_round_trip(kind: str, desired_attrs: dict[str, Any], observed: dict[str, Any]) -> None:
    problems = diff(desired_attrs, observed, BY_NAME[kind].sensitive)
    assert problems == [], [(c.path, c.before, c.after) for c in problems]


@EXAMPLES
@given(description=TEXT.filter(lambda s: s.strip()), order=st.integers(-5, 500))
def test_client_group_round_trip(description: str, order: int) -> None:
    observed = BY_NAME["client_group"].observe({"ClientGroupUID": 101, "Description": description,
                                               "DisplayOrder": order}, context())
    desired = expand({"client_groups": {"gold": to_yaml("client_group", "gold", observed)}},
                     "client_group")
    assert_round_trip("client_group", desired.attrs, observed)


@EXAMPLES
@given(status=st.integers(0, 9), username=NAME, password=TEXT, grouped=st.booleans(),
       offset=st.integers(-12, 12), zone=TEXT, notes=TEXT, override=st.booleans(),
       automation=st.sampled_from(["Price", "Priority", "RoundRobin"]),
       company=TEXT, email=TEXT)
def test_client_round_trip(status: int, username: str, password: str, grouped: bool, offset: int,
                           zone: str, notes: str, override: bool, automation: str, company: str,
                           email: str) -> None:
    row = {"ClientUID": 1001, "Status": status, "Username": username, "Password": password,
           "GroupUID": 101 if grouped else 0, "TimeOffset": offset, "TimeZoneName": zone,
           "Notes": notes, "OverrideReassign": override, "AutomationType": automation}
    fields = [{"ClientFieldUID": 1, "Descriptor": "Company", "FieldValue": company},
              {"ClientFieldUID": 4, "Descriptor": "Email", "FieldValue": email}]
    observed = BY_NAME["client"].observe({**row, FIELDS_KEY: fields}, context())
    refs = {"password": SecretRef("${env:PW}")} if password else {}
    config = {"client_groups": {"gold": {"description": "Gold"}},
              "clients": {"c": to_yaml("client", "c", observed, refs)}}
    desired = expand(config, "client", {"PW": password})
    assert_round_trip("client", desired.attrs, observed)


SETTING = st.one_of(
    st.builds(lambda f: {"FieldType": 1, "LeadFieldUID": FIELD_UIDS[f]}, st.sampled_from(FIELDS)),
    st.builds(lambda t, v: {"FieldType": t, "Value": v}, st.sampled_from([0, 2, 6, 7]), TEXT),
    st.builds(lambda t, v: {"FieldType": t, "Expr": v}, st.sampled_from([3, 5, 8]), TEXT),
    st.builds(lambda f, v: {"FieldType": 4, "LeadFieldUID": FIELD_UIDS[f], "Expr": v},
              st.sampled_from(FIELDS), TEXT),
)
DAY = st.tuples(st.integers(0, 6), st.sampled_from(["00:00", "08:00", "09:30", "12:00"]),
                st.sampled_from(["13:00", "18:00", "23:59:59"]), st.booleans())


@EXAMPLES
@given(name=NAME, type_=st.integers(0, 11), enabled=st.booleans(), testing=st.booleans(),
       url=TEXT, search=TEXT, regex=st.booleans(), template=TEXT, email_to=TEXT, smtp_server=TEXT,
       ftp_user=TEXT, ftp_password=TEXT,
       settings_=st.lists(st.tuples(NAME, SETTING, TEXT, st.dictionaries(NAME, TEXT, max_size=3)),
                          max_size=5, unique_by=lambda s: s[0].strip()),
       days=st.lists(DAY, max_size=6, unique_by=lambda d: d[0]))
def test_delivery_method_round_trip(name: str, type_: int, enabled: bool, testing: bool, url: str,
                                    search: str, regex: bool, template: str, email_to: str,
                                    smtp_server: str, ftp_user: str, ftp_password: str,
                                    settings_: list, days: list) -> None:
    wire = {"ClientDeliveryUID": 2002, "ClientUID": 1001, "Name": name, "Type": type_, "Status": enabled,
            "inTesting": testing, "LeadTypeUID": 1, "DeliveryAddress": url, "ResponseSearch": search,
            "useRegEx": regex, "XML": template, "EmailAddress": email_to, "SMTPServer": smtp_server,
            "FTPUser": ftp_user, "FTPPassword": ftp_password,
            "FieldSettings": [
                {"DeliverySettingUID": 3000 + i, "FieldName": field_name, "Format": fmt,
                 "Value": "", "Expr": "", "LeadFieldUID": 0, **source,
                 "FieldMappings": [{"DeliveryMappingUID": 4000 + i * 10 + j, "FieldValue": k, "DeliveryValue": v}
                                   for j, (k, v) in enumerate(value_map.items())]}
                for i, (field_name, source, fmt, value_map) in enumerate(settings_)],
            "DeliveryDays": [{"DeliveryDayUID": 5000 + i, "WeekDay": d, "StartTime": f"1900-01-01T{start}",
                              "EndTime": f"1900-01-01T{end}", "Allow": allow}
                             for i, (d, start, end, allow) in enumerate(days)]}
    observed = BY_NAME["delivery_method"].observe(wire, context())
    method_key = observed["name"]
    refs = {"ftp.password": SecretRef("${env:FTP}")} if ftp_password.strip() else {}
    config = {"lead_types": ["Auto Insurance"], "clients": {"c": {"username": "u", "delivery_methods": {
        method_key: to_yaml("delivery_method", method_key, observed, refs)}}}}
    desired = expand(config, "delivery_method", {"FTP": ftp_password})
    assert_round_trip("delivery_method", desired.attrs, observed)


CRITERION = st.one_of(
    st.builds(lambda ops, states: {"LeadFieldUID": 103, "Operator": ops,
                                   "Value": ",".join(str(STATE_UIDS[s]) for s in states)},
              st.sampled_from(["In", "NotIn"]), st.lists(st.sampled_from(list(STATE_UIDS)), min_size=1,
                                                          max_size=4, unique=True)),
    st.builds(lambda low, high: {"LeadFieldUID": 104, "Operator": "Between", "Value": f"{low},{high}"},
              st.integers(0, 99), st.integers(0, 120)),
    st.builds(lambda op, v: {"LeadFieldUID": 105, "Operator": op, "Value": v},
              st.sampled_from(["Equal", "NotEqual", "Greater", "Contains"]),
              st.text(alphabet=st.sampled_from(list("0123456789abc -")), max_size=8)),
    st.builds(lambda e: {"LeadFieldUID": 101, "Operator": "Equal", "Value": "", "Type": "Expression",
                         "Expression": e}, TEXT),
)


@EXAMPLES
@given(description=TEXT.filter(lambda s: s.strip()), price=st.floats(0, 1000, allow_nan=False).map(lambda p: round(p, 2)),
       hour=st.integers(-1, 50), day=st.integers(-1, 500), month=st.integers(-1, 5000),
       status=st.sampled_from([9, 10, 11, 12]), delay=st.integers(0, 600), use_order=st.booleans(),
       automation=st.booleans(), account_type=st.integers(0, 3), redirect=TEXT, agent=TEXT, phone=TEXT,
       criteria=st.lists(CRITERION, max_size=4))
def test_delivery_account_round_trip(description: str, price: float, hour: int, day: int, month: int,
                                     status: int, delay: int, use_order: bool, automation: bool,
                                     account_type: int, redirect: str, agent: str, phone: str,
                                     criteria: list) -> None:
    wire = {"ClientAccountUID": 6001, "ClientUID": 1001, "DeliveryUID": 2001, "Description": description,
            "Price": price, "HourMax": hour, "DayMax": day, "MonthMax": month, "Status": status,
            "DeliveryDelay": delay, "useOrder": use_order, "AutomationEnabled": automation,
            "AccountType": account_type, "RedirectURL": redirect, "AgentName": agent, "AgentPhone": phone,
            "Criteria": [{"ClientCriteriaUID": 7000 + i, "Type": "FieldValue", "Expression": "", **c}
                         for i, c in enumerate(criteria)],
            "DeliveryDetails": {"ClientDeliveryUID": 2001, "LeadTypeUID": 1, "Name": "m"}}
    observed = BY_NAME["delivery_account"].observe(wire, context(), {}, "c")
    key = slug(observed["description"], "account")
    config = {"lead_types": ["Auto Insurance"], "clients": {"c": {
        "username": "u",
        "delivery_methods": {"m": {"type": "http_post", "lead_type": "Auto Insurance"}},
        "delivery_accounts": {key: to_yaml("delivery_account", key, observed)}}}}
    desired = expand(config, "delivery_account")
    assert_round_trip("delivery_account", desired.attrs, observed)
