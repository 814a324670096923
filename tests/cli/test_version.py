from click.testing import CliRunner

from lexsync.cli.main import main


def test_version_prints_package_version() -> None:
    result = CliRunner().invoke(main, ["--version"])
    assert result.exit_code == 0
    assert "lexsync, version 0.1.0" in result.output
