"""The `minsheng audit verify` command: walk the hash chain and report the first broken link."""

from __future__ import annotations

import typer

from minsheng.audit.chain import parse_anchor, verify_chain_in_transactions
from minsheng.core.database import make_engine, make_sessionmaker
from minsheng.core.settings import get_settings


def verify(
    batch_size: int = typer.Option(1000, min=1, help="Rows read per batch (bounds memory use)."),
    anchor: str = typer.Option("", help="Head recorded earlier outside the database, as SEQ:HASH."),
) -> None:
    """Verify the audit log's hash chain; exit 1 if a link is broken."""
    try:
        expected = parse_anchor(anchor) if anchor else None
    except ValueError as exc:
        raise typer.BadParameter(str(exc), param_hint="--anchor") from exc
    engine = make_engine(get_settings().resolved_database_url)
    try:
        result = verify_chain_in_transactions(
            make_sessionmaker(engine), batch_size=batch_size, anchor=expected
        )
    finally:
        engine.dispose()
    typer.echo(result.describe(), err=not result.is_intact)
    raise typer.Exit(code=0 if result.is_intact else 1)
