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


def fail(message: str, code: int = EXIT_ERROR) -> None:
    err = console(stderr=True)
    err.print(f"[bold red]Error:[/] {message}", markup=True, highlight=False)
    raise SystemExit(code)


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
    if config:
        path = Path(config)
        if not path.exists():
            raise LexsyncError(f"configuration {path} does not exist")
        return path
    for name in DEFAULT_CONFIG_NAMES:
        if Path(name).exists():
            return Path(name)
    raise LexsyncError("no configuration found: pass --config FILE_OR_DIR or create lexsync.yaml "
                       "(lexsync init writes a starter)")


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


def session_for(config: str | None, api: str | None, state_path: str | None, **extra: Any) -> Session:
    """The engine session for a command's --config, --api and --state."""
    from lexsync.engine.session import RunOptions, Session

    config_path = resolve_config_path(config)
    options = RunOptions(config_path=config_path, state_path=Path(state_path) if state_path else None,
                         **extra)
    if api == "sandbox":
        from lexsync.cli.sandbox_mode import in_process_sandbox

        root = config_path if config_path.is_dir() else config_path.parent
        options.transport, options.api_url, options.default_credentials = in_process_sandbox(root)
    elif api:
        options.api_url = api
    return Session(options)
