"""Each behaviour setting, at the wire: what the sandbox answers and stores under every value
(docs/sandbox.md, "Behaviour profiles")."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from defusedxml.ElementTree import fromstring

from lexsync.sandbox.app import SandboxConfig
from lexsync.sandbox.profiles import PROFILES, SETTINGS, profile_settings
from lexsync.sandbox.server import running_sandbox

from .support import (
    NS,
    Sandbox,
    account_body,
    client_body,
    criterion,
    day,
    mapping,
    method_body,
    setting,
    to_xml,
)


@contextmanager
def sandbox(**settings: Any) -> Iterator[Sandbox]:
    with running_sandbox(SandboxConfig(**settings)) as url:
        box = Sandbox(url)
        try:
            yield box
        finally:
            box.close()


def local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def seeded(box: Sandbox) -> tuple[int, int, int]:
    """A client, a method with a mapped setting and a day, an account with a criterion."""
    client = int(box.patch_client(client_body()).text)
    body = method_body(client, FieldSettings=[setting(FieldMappings=[mapping()], hasMap=True)])
    method = int(box.put_method(client, body).text)
    account = int(box.put_account(client, account_body(client, method)).text)
    return client, method, account


def test_every_profile_names_a_value_of_every_setting() -> None:
    for name in PROFILES:
        values = profile_settings(name)
        assert values.keys() == SETTINGS.keys()
        assert all(value in SETTINGS[setting_] for setting_, value in values.items())
    with pytest.raises(ValueError, match="unknown sandbox profile 'nope'"):
        SandboxConfig.for_profile("nope")
    with pytest.raises(ValueError, match="soap_ids must be one of all, client, none"):
        SandboxConfig(soap_ids="some")
    covered = {(s, profile_settings(p)[s]) for p in PROFILES for s in SETTINGS}
    assert covered == {(s, v) for s, values in SETTINGS.items() for v in values}


@pytest.mark.parametrize(("names", "root", "item", "criteria_item", "mappings"), [
    ("lexsync", "ArrayOfClientItemType", "ClientItemType", "ClientCriteriaType", "FieldMappings"),
    ("alternate", "ArrayOfClientType", "ClientType", "ClientCriteria", "Mappings"),
])
def test_xml_names_name_answers_and_the_items_soap_writes_take(
        names: str, root: str, item: str, criteria_item: str, mappings: str) -> None:
    with sandbox(xml_names=names) as box:
        client, method, _ = seeded(box)
        listed = fromstring(box.asmx("GetClientList").content)
        assert local(listed.tag) == root and local(listed[0].tag) == item
        accounts = fromstring(box.asmx("GetClientAccounts", ClientUID=client).content)
        tags = {local(e.tag) for e in accounts.iter()}
        assert criteria_item in tags and mappings in tags
        assert local(accounts.tag) == "ArrayOfClientAccountType"  # named by the seed texts
        # A SOAP write takes the same item names, and refuses the others.
        other = "ClientCriteria" if names == "lexsync" else "ClientCriteriaType"
        for tag, ok in ((criteria_item, True), (other, False)):
            body = {k: v for k, v in account_body(client, method, Description=tag).items()
                    if k not in ("WeekMax", "AlternatePosting")}
            answer = box.soap("AddEditClientAccount", to_xml("account", body, {"Criteria": tag}))
            assert (answer.status_code == 200) is ok, answer.text
            if not ok:
                assert f"Expected element '{criteria_item}', found '{tag}'" in answer.text


def test_answer_namespace_none_answers_without_one() -> None:
    with sandbox(answer_namespace="none") as box:
        for method in ("GetStateList", "isUsernameUnique"):
            root = fromstring(box.asmx(method, Username="x").content)
            assert not root.tag.startswith("{"), root.tag


@pytest.mark.parametrize(("soap_ids", "answering"), [
    ("all", {"AddEditClientGroup", "AddEditClient"}),
    ("client", {"AddEditClient"}),
    ("none", set()),
])
def test_soap_ids_decide_which_writes_answer_the_saved_id(soap_ids: str,
                                                          answering: set[str]) -> None:
    group = "<Group><ClientGroupUID>-1</ClientGroupUID><Description>G</Description>" \
            "<DisplayOrder>1</DisplayOrder></Group>"
    info = {k: v for k, v in client_body(uid=-1)["Info"].items()
            if k != "DeliveryAccountAutomationType"}
    with sandbox(soap_ids=soap_ids) as box:
        for method, inner in (("AddEditClientGroup", group),
                              ("AddEditClient", to_xml("Client", info))):
            answer = box.soap(method, inner)
            assert answer.status_code == 200, answer.text
            envelope = fromstring(answer.content)
            [response] = [e for e in envelope.iter() if local(e.tag) == f"{method}Response"]
            results = [local(e.tag) for e in response]
            assert results == ([f"{method}Result"] if method in answering else []), answer.text
        assert len(box.dump()["groups"]) == 1  # saved either way


@pytest.mark.parametrize("mode", ["replace", "merge"])
def test_list_writes_replace_or_merge_criteria_and_days(mode: str) -> None:
    with sandbox(list_writes=mode) as box:
        client, method, account = seeded(box)
        box.put_account(client, account_body(client, method, uid=account,
                                             Criteria=[criterion(field=109, op="Equal", value="30")]))
        box.put_method(client, method_body(client, uid=method, FieldSettings=[],
                                           DeliveryDays=[day(weekday=3)]))
        dump = box.dump()
        criteria = dump["accounts"][0]["Criteria"]
        days = dump["methods"][0]["DeliveryDays"]
        assert len(criteria) == (1 if mode == "replace" else 2)
        assert sorted(d["WeekDay"] for d in days) == ([3] if mode == "replace" else [1, 3])


@pytest.mark.parametrize("mode", ["merge", "replace"])
def test_field_data_writes_merge_or_replace(mode: str) -> None:
    with sandbox(field_data_writes=mode) as box:
        uid = int(box.patch_client(client_body()).text)
        box.patch_client({**client_body(uid),
                          "FieldData": [{"ClientFieldUID": 4, "Value": "a@b.example"}]})
        fields = box.dump()["clients"][0]["FieldData"]
        expected = [{"ClientFieldUID": 4, "Value": "a@b.example"}]
        if mode == "merge":
            expected.insert(0, {"ClientFieldUID": 1, "Value": "Acme Corp"})
        assert fields == expected


def test_omitted_fields_clear_resets_what_an_update_leaves_out() -> None:
    with sandbox(omitted_fields="clear") as box:
        client, method, account = seeded(box)
        info = {k: v for k, v in client_body(client)["Info"].items()
                if k not in ("Password", "Notes", "DeliveryAccountAutomationType")}
        box.patch_client({"Info": {**info, "Notes": "n"}})
        box.patch_client({"Info": info})
        body = {k: v for k, v in account_body(client, method, uid=account).items()
                if k not in ("WeekMax", "Criteria")}
        box.put_account(client, {**body, "WeekMax": 200, "OfferName": "x"})
        box.put_account(client, {**body, "WeekMax": 200})
        box.put_method(client, {k: v for k, v in method_body(client, uid=method).items()
                                if k != "DeliveryDays"})
        dump = box.dump()
        stored = dump["clients"][0]
        assert (stored["Notes"], stored["Password"]) == ("", "")
        assert stored["DeliveryAccountAutomationType"] == "Price"
        assert "OfferName" not in dump["accounts"][0] and dump["accounts"][0]["Criteria"] == []
        assert dump["methods"][0]["DeliveryDays"] == []
    with sandbox() as box:  # keep: the same writes change nothing they omit
        client, method, account = seeded(box)
        box.patch_client({"Info": {k: v for k, v in client_body(client)["Info"].items()
                                   if k != "Password"}})
        assert box.dump()["clients"][0]["Password"] == "secret"


@pytest.mark.parametrize(("accepts", "json_status", "form_status"), [
    ("either", 200, 200), ("json", 200, 415), ("form", 400, 200)])
def test_token_encoding(accepts: str, json_status: int, form_status: int) -> None:
    credentials = {"client_id": "sandbox", "client_secret": "sandbox-secret",
                   "grant_type": "client_credentials"}
    with sandbox(token_encoding=accepts) as box:
        as_json = box.http.post("/v1/authorization/token", json=credentials)
        as_form = box.http.post("/v1/authorization/token", data=credentials)
        assert (as_json.status_code, as_form.status_code) == (json_status, form_status)
        if json_status == 400:
            assert as_json.json() == {"error": "unsupported_grant_type"}


@pytest.mark.parametrize(("form", "answered"), [("index0", "6"), ("index1", "7"),
                                                ("name", "Active")])
def test_client_status_forms(form: str, answered: str) -> None:
    with sandbox(client_status=form) as box:
        box.patch_client(client_body())
        root = fromstring(box.asmx("GetClientList").content)
        [status] = [e.text for e in root.iter() if local(e.tag) == "Status"]
        assert status == answered


def test_unknown_elements_skip_drops_what_it_does_not_know_without_a_word() -> None:
    with sandbox(unknown_elements="skip") as box:
        client, method, account = seeded(box)
        body = {k: v for k, v in account_body(client, method, uid=account, Price=30.0).items()
                if k not in ("WeekMax", "AlternatePosting")}
        inner = to_xml("account", {**body, "Surprise": "x"}, {"Criteria": "Criterion"})
        answer = box.soap("AddEditClientAccount", inner)
        assert answer.status_code == 200, answer.text
        stored = box.dump()["accounts"][0]
        assert stored["Price"] == 30.0 and stored["Criteria"] == []  # the items were skipped
        rest = box.put_account(client, {**account_body(client, method, uid=account),
                                        "Unknown": 1})
        assert rest.status_code == 200, rest.text


def test_rest_list_names_table_takes_settings_and_mappings() -> None:
    with sandbox(rest_list_names="table") as box:
        client = int(box.patch_client(client_body()).text)
        example = box.put_method(client, method_body(client))
        assert example.status_code == 400
        assert "Could not find member 'FieldSettings'" in example.text
        body = method_body(client)
        settings = body.pop("FieldSettings")
        body["Settings"] = [{("Mappings" if k == "FieldMappings" else k): v
                             for k, v in s.items()} for s in settings]
        body["Settings"][0]["Mappings"] = [mapping()]
        assert box.put_method(client, body).status_code == 200
        [stored] = box.dump()["methods"]
        assert stored["FieldSettings"][0]["FieldMappings"][0]["DeliveryValue"] == "Y"


def test_the_cli_serves_a_profile(tmp_path: Any) -> None:
    from click.testing import CliRunner

    from lexsync.cli.main import main

    refused = CliRunner().invoke(main, ["sandbox", "serve", "--profile", "nope"])
    assert refused.exit_code == 1 and "unknown sandbox profile 'nope'" in refused.output
    refused = CliRunner().invoke(main, ["sandbox", "serve", "--set", "soap_ids"])
    assert refused.exit_code == 1 and "use SETTING=VALUE" in refused.output
    assert NS  # the namespace the writes above were sent in
