from __future__ import annotations

import os
from pathlib import Path

from .conftest import BASE, load_text, problems, write


def password(tmp_path: Path, value: str, environ: dict | None = None, **kwargs) -> str:
    loaded = load_text(tmp_path, BASE.replace("hunter2", value), environ, **kwargs)
    return loaded.model.clients["acme"].password.get_secret_value()


def test_env_whole_value(tmp_path: Path) -> None:
    assert password(tmp_path, "${env:PW}", {"PW": "s3cret"}) == "s3cret"


def test_env_embedded_and_repeated(tmp_path: Path) -> None:
    assert password(tmp_path, "a-${env:X}-${env:Y}-${env:X}", {"X": "1", "Y": "2"}) == "a-1-2-1"


def test_interpolated_number_is_validated_as_number(tmp_path: Path) -> None:
    loaded = load_text(tmp_path, BASE.replace("price: 25", "price: ${env:PRICE}"), {"PRICE": "12.5"})
    assert loaded.model.clients["acme"].delivery_accounts["acme-ca"].price == 12.5


def test_a_reference_written_with_escapes_is_interpolated(tmp_path: Path) -> None:
    # No `${` in the file's text: a double-quoted escape writes it.
    assert password(tmp_path, '"\\x24{env:PW}"', {"PW": "s3cret"}) == "s3cret"
    assert password(tmp_path, '"a-$\\\n  {env:PW}"', {"PW": "s3cret"}) == "a-s3cret"


def test_a_file_without_references_is_read_as_written(tmp_path: Path) -> None:
    assert password(tmp_path, "'$$ {env:PW} $'", {"PW": "no"}) == "$$ {env:PW} $"


def test_escape(tmp_path: Path) -> None:
    assert password(tmp_path, "'$${env:PW} and $$x'", {"PW": "no"}) == "${env:PW} and $$x"


def test_file_relative_to_the_config_file_trailing_newline_stripped(tmp_path: Path) -> None:
    write(tmp_path, "secrets/acme.txt", "line1\nline2\n\n")
    assert password(tmp_path, "${file:secrets/acme.txt}") == "line1\nline2\n"


def test_file_in_directory_config_is_relative_to_that_file(tmp_path: Path) -> None:
    write(tmp_path, "pw.txt", "from-file\n")
    write(tmp_path, "conf.yaml", BASE.replace("hunter2", "${file:pw.txt}"))
    from lexsync.config import load_configuration

    loaded = load_configuration(tmp_path, {})
    assert loaded.model.clients["acme"].password.get_secret_value() == "from-file"


def test_missing_env_is_located(tmp_path: Path) -> None:
    assert problems(tmp_path, BASE.replace("hunter2", "${env:NOPE}")) == [
        "8:15: environment variable NOPE is not set (referenced as ${env:NOPE})"]


def test_missing_env_does_not_hide_other_problems(tmp_path: Path) -> None:
    text = BASE.replace("hunter2", "${env:NOPE}").replace("price: 25", "price: x")
    found = problems(tmp_path, text)
    assert [f.split(": ")[0] for f in found] == ["8:15", "21:16"]


def test_missing_file(tmp_path: Path) -> None:
    [problem] = problems(tmp_path, BASE.replace("hunter2", "${file:nope.txt}"))
    assert problem.startswith("8:15: file nope.txt not found (referenced as ${file:nope.txt}")


def test_file_outside_the_root_is_refused(tmp_path: Path) -> None:
    config_dir = tmp_path / "config"
    write(tmp_path, "outside.txt", "leaked")
    text = BASE.replace("hunter2", "${file:../outside.txt}")
    [problem] = problems(config_dir, text)
    assert problem.startswith("8:15: ${file:../outside.txt} points outside the configuration directory")


def test_file_outside_the_root_when_allowed(tmp_path: Path) -> None:
    write(tmp_path, "outside.txt", "allowed\n")
    text = BASE.replace("hunter2", "${file:../outside.txt}")
    loaded = load_text(tmp_path / "config", text, allow_outside_files=True)
    assert loaded.model.clients["acme"].password.get_secret_value() == "allowed"


def test_symlink_escaping_the_root_is_refused(tmp_path: Path) -> None:
    write(tmp_path, "outside.txt", "leaked")
    (tmp_path / "config").mkdir()
    (tmp_path / "config" / "link.txt").symlink_to(tmp_path / "outside.txt")
    [problem] = problems(tmp_path / "config", BASE.replace("hunter2", "${file:link.txt}"))
    assert "points outside the configuration directory" in problem


def test_unknown_kind(tmp_path: Path) -> None:
    [problem] = problems(tmp_path, BASE.replace("hunter2", "${vault:x}"))
    assert problem.startswith("8:15: cannot interpolate '${vault:x}'")


def test_keys_are_not_interpolated(tmp_path: Path) -> None:
    loaded = load_text(tmp_path, BASE.replace("Company", "x").replace(
        "    delivery_methods:", "    fields: {'${env:K}': v}\n    delivery_methods:", 1), {"K": "no"})
    assert loaded.model.clients["acme"].fields == {"${env:K}": "v"}


def test_interpolation_is_single_pass(tmp_path: Path) -> None:
    assert password(tmp_path, "${env:A}", {"A": "${env:B}", "B": "no"}) == "${env:B}"


def test_secret_from_file_in_method_settings(tmp_path: Path) -> None:
    write(tmp_path, "smtp.txt", "mail-pw\n")
    text = BASE.replace("        url: https://acme.example/leads",
                        "        url: https://acme.example/leads\n"
                        "        smtp: {server: smtp.example, password: '${file:smtp.txt}'}")
    method = load_text(tmp_path, text).model.clients["acme"].delivery_methods["acme-post"]
    assert method.smtp.password.get_secret_value() == "mail-pw"


def test_a_fifo_is_refused_at_once(tmp_path: Path) -> None:
    """Opening a FIFO for reading waits for a writer: the load must not wait with it."""
    os.mkfifo(tmp_path / "pipe")
    [problem] = problems(tmp_path, BASE.replace("hunter2", "${file:pipe}"))
    assert problem == ("8:15: ${file:pipe} is not a regular file (a FIFO, device or directory); "
                       "only regular files can be included")


def test_a_device_is_refused(tmp_path: Path) -> None:
    text = BASE.replace("hunter2", "${file:/dev/zero}")
    [problem] = problems(tmp_path, text, allow_outside_files=True)
    assert problem.startswith("8:15: ${file:/dev/zero} is not a regular file")


def test_a_directory_is_refused(tmp_path: Path) -> None:
    (tmp_path / "secrets").mkdir()
    [problem] = problems(tmp_path, BASE.replace("hunter2", "${file:secrets}"))
    assert problem.startswith("8:15: ${file:secrets} is not a regular file")


def test_file_line_endings_are_read_as_text(tmp_path: Path) -> None:
    (tmp_path / "pw.txt").write_bytes(b"a\r\nb\r\n")
    assert password(tmp_path, "${file:pw.txt}") == "a\nb"


def test_aliased_strings_are_interpolated_on_every_path(tmp_path: Path) -> None:
    text = BASE.replace("password: hunter2", "password: &pw ${env:PW}\n    notes: *pw")
    client = load_text(tmp_path, text, {"PW": "s3"}).model.clients["acme"]
    assert (client.password.get_secret_value(), client.notes) == ("s3", "s3")
