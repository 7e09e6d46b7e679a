"""The `minsheng open311 key` commands: create, list and revoke the keys Open311 clients submit with."""

from __future__ import annotations

import getpass
from typing import Annotated

import typer

from minsheng.core.database import make_engine, make_sessionmaker, unit_of_work
from minsheng.core.errors import MinshengError
from minsheng.core.settings import get_settings
from minsheng.core.timeutil import format_local

open311_app = typer.Typer(help="Open311 GeoReport v2 interface.", no_args_is_help=True)
key_app = typer.Typer(help="API keys of Open311 clients.", no_args_is_help=True)
open311_app.add_typer(key_app, name="key")


def _operator() -> str:
    try:
        return f"cli:{getpass.getuser()}"
    except (KeyError, OSError):
        return "cli"


def _fail(error: MinshengError) -> typer.Exit:
    typer.secho(error.message, fg=typer.colors.RED, err=True)
    return typer.Exit(1)


@key_app.command("create")
def create(
    name: Annotated[str, typer.Option("--name", help="Who the key is for, e.g. the app's name")],
) -> None:
    """Create a key and print it once, on the last line."""
    from minsheng.open311.keys import issue_key

    settings = get_settings()
    engine = make_engine(settings.resolved_database_url)
    try:
        with unit_of_work(make_sessionmaker(engine)) as session:
            plain, key = issue_key(session, name=name, created_by=_operator())
    except MinshengError as error:
        raise _fail(error) from error
    finally:
        engine.dispose()
    typer.echo(f"已创建 Open311 密钥 #{key.id} {key.name}；密钥只显示这一次，请妥善保存：")
    typer.echo(plain)


@key_app.command("list")
def list_command() -> None:
    """List the keys with when each was created, last used and revoked."""
    from minsheng.open311.keys import list_keys

    settings = get_settings()
    engine = make_engine(settings.resolved_database_url)
    try:
        with unit_of_work(make_sessionmaker(engine)) as session:
            keys = list_keys(session)
            for key in keys:
                state = (
                    f"已撤销 {format_local(key.revoked_at, settings.timezone)}" if key.is_revoked else "有效"
                )
                used = format_local(key.last_used_at, settings.timezone) or "从未使用"
                created = format_local(key.created_at, settings.timezone)
                typer.echo(
                    f"{key.id:>4}  {key.prefix}…  {key.name}  创建 {created}（{key.created_by}）  "
                    f"最近使用 {used}  {state}"
                )
    finally:
        engine.dispose()
    if not keys:
        typer.echo("还没有 Open311 密钥")


@key_app.command("revoke")
def revoke(key_id: Annotated[int, typer.Argument(help="Key number, as shown by `key list`")]) -> None:
    """Revoke a key; requests sent with it are refused from then on."""
    from minsheng.open311.keys import revoke_key

    settings = get_settings()
    engine = make_engine(settings.resolved_database_url)
    try:
        with unit_of_work(make_sessionmaker(engine)) as session:
            key = revoke_key(session, key_id=key_id)
            name = key.name
    except MinshengError as error:
        raise _fail(error) from error
    finally:
        engine.dispose()
    typer.echo(f"已撤销 Open311 密钥 #{key_id} {name}")
