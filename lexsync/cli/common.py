"""What every command shares: output, errors and exit codes, the common options, the session.

Command modules import this one; it imports no command module, so imports run one way:
main -> command modules -> common.
"""

from __future__ import annotations

import functools
import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from lexsync.errors import ConfigError, LexsyncError

if TYPE_CHECKING:
    from rich.console import Console

    from lexsync.engine.session import Session

EXIT_OK, EXIT_ERROR, EXIT_CHANGES = 0, 1, 2
DEFAULT_CONFIG_NAMES = ("lexsync.yaml", "lexsync.yml")


def console(stderr: bool = False) -> Console:
    from rich.console import Console  # only when something is printed: `--help` does without

    no_color = bool(os.environ.get("NO_COLOR")) or not (sys.stderr if stderr else sys.stdout).isatty()
    return Console(stderr=stderr, no_color=no_color, highlight=False, soft_wrap=True)


def escape(text: str) -> str:
    """`text` printed as written where rich reads markup ("[low, high]" is not a tag)."""
    from rich.markup import escape as rich_escape

    return rich_escape(text)


def fail(message: str, code: int = EXIT_ERROR) -> None:
    err = console(stderr=True)
    # The message is text, not markup: "[low, high]" in it must print as written.
    err.print(f"[bold red]Error:[/] {escape(message)}", markup=True, highlight=False)
    raise SystemExit(code)


def warn(message: str) -> None:
    err = console(stderr=True)
    err.print(f"[bold yellow]Warning:[/] {escape(message)}", markup=True, highlight=False)


def warn_diagnostics(diagnostics: list[Any]) -> None:
    """Warnings found while loading or planning (each names its place in the YAML)."""
    for diagnostic in diagnostics:
        warn(str(diagnostic))


def counted(count: int, noun: str) -> str:
    """"1 client group", "2 client groups"."""
    return f"{count} {noun}" if count == 1 else f"{count} {noun}s"


def targeted_note(skipped: list[Path], verb: str = "plans") -> str:
    """What a targeted run left out, as Terraform warns of -target."""
    files = f" (not read: {counted(len(skipped), 'file')} holding only other clients)" \
        if skipped else ""
    return (f"--target {verb} only what it names: the rest of the configuration was not "
            f"checked{files} and the lead flow was not linted. Run lexsync validate or a full "
            "plan for those.")


def handle_errors(func: Callable[..., Any]) -> Callable[..., Any]:
    """Every user-facing failure becomes a message and an exit code, never a traceback."""

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        if os.environ.get("LEXSYNC_DEBUG"):
            debug_logging()
        try:
            return func(*args, **kwargs)
        except ConfigError as exc:
            lines = "\n".join(f"  {d}" for d in exc.diagnostics)
            fail(f"the configuration has {len(exc.diagnostics)} problem(s):\n{lines}", exc.exit_code)
        except LexsyncError as exc:
            fail(exc.message, exc.exit_code)
        except KeyboardInterrupt:
            fail("interrupted; state holds every call that completed", 130)
        except (SystemExit, click.exceptions.Exit, click.ClickException):
            raise
        except Exception as exc:  # a bug: say so plainly, keep the details for LEXSYNC_DEBUG
            if os.environ.get("LEXSYNC_DEBUG"):
                raise
            fail(f"internal error ({type(exc).__name__}): {exc}. Set LEXSYNC_DEBUG=1 for details.")

    return wrapper


def debug_logging() -> None:
    """LEXSYNC_DEBUG: lexsync's debug log (requests, retries, answers' unknown elements) on
    standard error; secrets are redacted before anything is logged."""
    import logging

    logger = logging.getLogger("lexsync")
    if not logger.handlers:
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(logging.Formatter("lexsync debug: %(message)s"))
        logger.addHandler(handler)
        logger.setLevel(logging.DEBUG)


def resolve_config_path(config: str | None) -> Path:
    """-c's file or folder; without it, the current folder's lexsync YAML files (a folder of
    them, like Terraform's *.tf, or lexsync.yaml alone)."""
    from lexsync.config.loader import discover

    if config:
        path = Path(config)
        if not path.exists():
            raise LexsyncError(f"configuration {path} does not exist")
        return path
    found = discover(Path("."))
    if found is not None:
        return found
    raise LexsyncError("no configuration found in the current folder: no lexsync.yaml and no "
                       "YAML file with lexsync sections (clients:, client_groups:, lexsync:). "
                       "Pass -c FILE_OR_DIR, or run lexsync init to write a starter")


def config_option(func: Callable[..., Any]) -> Callable[..., Any]:
    """--config, --api and --state: where the configuration, LeadExec and the state are."""
    func = click.option("-c", "--config", "config", metavar="PATH",
                        help="Configuration file or directory (default: ./lexsync.yaml).")(func)
    func = click.option("--api", "api", metavar="URL|sandbox", envvar="LEXSYNC_API",
                        help="LeadExec base URL, or 'sandbox' for the built-in in-process sandbox.")(func)
    func = click.option("--state", "state_path", metavar="FILE",
                        help="State file (default: from the configuration, .lexsync/state.json).")(func)
    return func


def state_options(func: Callable[..., Any]) -> Callable[..., Any]:
    """--config and --state, for the commands that touch only the state."""
    func = click.option("-c", "--config", "config", metavar="PATH")(func)
    func = click.option("--state", "state_path", metavar="FILE")(func)
    return func


def api_source(api: str | None) -> str:
    """Where --api's value came from, for messages: the option or LEXSYNC_API."""
    ctx = click.get_current_context(silent=True)
    if ctx is not None and api is not None:
        source = ctx.get_parameter_source("api")
        if source is click.core.ParameterSource.ENVIRONMENT:
            return "LEXSYNC_API"
    return "--api"


def session_for(config: str | None, api: str | None, state_path: str | None, **extra: Any) -> Session:
    """The engine session for a command's --config, --api and --state. `--api sandbox` is the
    in-process sandbox of this configuration (engine/session.py, `sandbox_database`)."""
    from lexsync.engine.session import RunOptions, Session, check_api_url

    if api and api != "sandbox":
        check_api_url(api, api_source(api))  # a bad URL is refused before anything else
    config_path = resolve_config_path(config)
    options = RunOptions(config_path=config_path, state_path=Path(state_path) if state_path else None,
                         **extra)
    if api and api != "sandbox":
        options.api_url = api
        options.api_source = api_source(api)
    session = Session(options)
    if api == "sandbox":
        from lexsync.cli.sandbox_mode import in_process_sandbox

        database = session.sandbox_database()
        options.transport, options.api_url, options.default_credentials = in_process_sandbox(database)
        options.sandbox = database
    return session
