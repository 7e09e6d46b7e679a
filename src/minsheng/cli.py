"""The `minsheng` command line: thin shells over the domain services."""

from __future__ import annotations

import logging
import os
from pathlib import Path
from typing import Annotated

import typer

from minsheng.audit.cli import verify as audit_verify
from minsheng.core.settings import Settings, get_settings
from minsheng.demo.cli import simulate
from minsheng.events.cli import events_app
from minsheng.items.cli import items_app
from minsheng.jobs.cli import worker
from minsheng.open311.cli import open311_app
from minsheng.plans.cli import plans_app
from minsheng.sources.cli import ingest, sources_app
from minsheng.text.cli import text_app
from minsheng.warning.cli import warning_app

app = typer.Typer(
    help="民声 Minsheng: monitoring, intake, cases and plans for internet-affairs offices.",
    no_args_is_help=True,
)
db_app = typer.Typer(help="Database schema commands.", no_args_is_help=True)
user_app = typer.Typer(help="User accounts.", no_args_is_help=True)
audit_app = typer.Typer(help="Audit log.", no_args_is_help=True)
regions_app = typer.Typer(help="Administrative regions of the jurisdiction.", no_args_is_help=True)
app.add_typer(regions_app, name="regions")
app.add_typer(db_app, name="db")
app.add_typer(user_app, name="user")
app.add_typer(audit_app, name="audit")
app.add_typer(text_app, name="text")
app.add_typer(plans_app, name="plans")
app.add_typer(open311_app, name="open311")
app.add_typer(sources_app, name="sources")
app.add_typer(items_app, name="items")
app.add_typer(events_app, name="events")
app.add_typer(warning_app, name="warning")
app.command("ingest", help="Fetch due sources, analyse and store their items.")(ingest)
app.command("worker", help="Run background job workers until interrupted.")(worker)
app.command("simulate", help="Write a synthetic stream of public posts for the demo city.")(simulate)
audit_app.command("verify", help="Check the audit log's hash chain and report the first broken link.")(
    audit_verify
)


def _setup_logging(settings: Settings) -> None:
    logging.basicConfig(
        level=settings.log_level.upper(), format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )


@db_app.command("upgrade")
def db_upgrade(revision: Annotated[str, typer.Argument(help="Target revision")] = "head") -> None:
    """Apply database migrations (and the job engine's schema on PostgreSQL)."""
    from minsheng.bootstrap import upgrade_database

    settings = get_settings()
    upgrade_database(settings, revision=revision)
    typer.echo(f"数据库已升级到 {revision}: {_safe_url(settings.resolved_database_url)}")


def _safe_url(url: str) -> str:
    from sqlalchemy.engine import make_url

    return make_url(url).render_as_string(hide_password=True)


@user_app.command("create")
def user_create(
    username: Annotated[str, typer.Option(help="Login name")],
    department: Annotated[str, typer.Option(help="Department code, name or alias")],
    role: Annotated[list[str], typer.Option(help="Role (repeat for several)")],
    display_name: Annotated[str | None, typer.Option(help="Display name")] = None,
    password: Annotated[
        str | None, typer.Option(help="Password; a random one is printed when omitted")
    ] = None,
) -> None:
    """Create a user account from the command line."""
    from minsheng.bootstrap import create_user_account

    settings = get_settings()
    try:
        plain = create_user_account(
            settings,
            username=username,
            department=department,
            roles=role,
            display_name=display_name or username,
            password=password,
        )
    except ValueError as error:
        typer.secho(f"创建失败: {error}", fg=typer.colors.RED, err=True)
        raise typer.Exit(1) from error
    typer.echo(f"已创建用户 {username}" + (f"，初始密码: {plain}" if password is None else ""))


@regions_app.command("load")
def regions_load() -> None:
    """Load or refresh the regions under MINSHENG_JURISDICTION_CODE."""
    from minsheng.bootstrap import load_jurisdiction_regions

    report = load_jurisdiction_regions(get_settings())
    typer.echo(
        f"行政区划 {report.root_code}: 新增 {len(report.created)}, 更新 {len(report.updated)}, "
        f"未变 {report.unchanged}"
    )


@app.command("settings")
def show_settings(
    markdown: Annotated[
        bool, typer.Option("--markdown", help="Print the reference table for docs/settings.md")
    ] = False,
) -> None:
    """Print the effective settings (secrets hidden), or the settings reference as Markdown."""
    from minsheng.core.settings import settings_reference

    if markdown:
        typer.echo(settings_reference(), nl=False)
        return
    settings = get_settings()
    for name, value in settings.model_dump().items():
        shown = "***" if name == "secret_key" and value else value
        typer.echo(f"MINSHENG_{name.upper()}={shown}")


@app.command("serve")
def serve(
    host: Annotated[str, typer.Option(help="Address to listen on")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on")] = 8000,
    workers: Annotated[
        int,
        typer.Option(
            min=1, help="Server processes; each keeps its own database connections, caches and rate limits"
        ),
    ] = 1,
) -> None:
    """Serve the web application."""
    import uvicorn

    from minsheng.web.app import create_app

    settings = get_settings()
    _setup_logging(settings)
    trusted = settings.forwarded_allow_ips.strip()
    options = {
        "host": host,
        "port": port,
        "proxy_headers": bool(trusted),
        "forwarded_allow_ips": trusted or None,
        "log_level": settings.log_level.lower(),
    }
    if workers > 1:
        # Each process builds its own app from the same environment, so it is named, not passed.
        uvicorn.run("minsheng.web.app:create_app", factory=True, workers=workers, **options)
    else:
        uvicorn.run(create_app(settings), **options)


@app.command("demo")
def demo(
    host: Annotated[str, typer.Option(help="Address to listen on")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on", envvar="PORT")] = 8000,
    no_serve: Annotated[bool, typer.Option("--no-serve", help="Only build the demo database")] = False,
    stream_minutes: Annotated[
        int, typer.Option(help="Minutes of simulated posts to write on first run (0: none)", min=0)
    ] = 120,
) -> None:
    """Create a demo database for a fictional city, print its logins and serve it."""
    from minsheng.demo.seed import build_demo

    if "MINSHENG_DATA_DIR" not in os.environ and "MINSHENG_DATABASE_URL" not in os.environ:
        os.environ["MINSHENG_DATA_DIR"] = str(Path("var") / "demo")
        get_settings.cache_clear()
    settings = get_settings()
    _setup_logging(settings)
    logins = build_demo(settings, stream_minutes=stream_minutes)
    typer.secho("演示数据已就绪 / demo data ready. 登录账户 / logins:", fg=typer.colors.GREEN)
    for login in logins:
        typer.echo(f"  {login.role:<11} {login.username:<12} {login.password}   {login.department}")
    if no_serve:
        return
    typer.secho(f"访问 / open http://{host}:{port}", fg=typer.colors.GREEN)
    serve(host=host, port=port)


if __name__ == "__main__":
    app()
