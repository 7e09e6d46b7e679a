"""The `minsheng text` commands: train and evaluate text classifiers."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

text_app = typer.Typer(help="Chinese text analysis: analyse, train and evaluate.", no_args_is_help=True)

TextColumns = Annotated[str, typer.Option("--text", help="Text column(s), comma-separated")]
LabelColumn = Annotated[str, typer.Option("--label", help="Label column")]
DataFile = Annotated[Path, typer.Option("--data", help="CSV file (UTF-8, UTF-8 with BOM or GBK)")]


def _fail(message: str) -> typer.Exit:
    typer.secho(message, fg=typer.colors.RED, err=True)
    return typer.Exit(1)


@text_app.command("train")
def train_command(
    task: Annotated[str, typer.Option("--task", help="Task name, e.g. category, sentiment, rumor")],
    data: DataFile,
    text: TextColumns,
    label: LabelColumn,
    out: Annotated[
        Path | None, typer.Option("--out", help="Model directory to write; default: the versioned store")
    ] = None,
    folds: Annotated[int, typer.Option(help="Cross-validation folds")] = 5,
) -> None:
    """Train a classifier from a labelled CSV and print its cross-validated scores."""
    from datetime import UTC, datetime

    from minsheng.core.settings import get_settings
    from minsheng.text.classify import DataError, ModelStoreError, TrainingError, read_labelled_csv, train
    from minsheng.text.classify.dataset import parse_columns
    from minsheng.text.classify.learning import train_task
    from minsheng.text.classify.store import save_model_dir

    try:
        columns = parse_columns(text)
        texts, labels = read_labelled_csv(data, columns, label)
        source = {"path": str(data.resolve()), "text_columns": columns, "label_column": label}
        if out is None:
            outcome = train_task(task, texts, labels, get_settings(), source=source, folds=folds)
            report, seconds = outcome.report, outcome.seconds
            where = f"版本 {outcome.version.version}（已设为当前）"
        else:
            classifier, report, seconds = train(texts, labels, folds=folds)
            meta = {
                "task": task,
                "created_at": datetime.now(UTC).isoformat(timespec="seconds"),
                "training_size": len(texts),
                "cv": report.as_dict(),
                "train_seconds": round(seconds, 1),
                "training_data": source,
            }
            save_model_dir(classifier, out, meta)
            where = str(out)
    except (DataError, TrainingError, ModelStoreError) as error:
        raise _fail(f"训练失败: {error}") from error
    typer.echo(f"任务 {task}: {len(texts)} 条, {len(set(labels))} 类, 用时 {seconds:.1f} 秒")
    typer.echo(f"模型: {report.model}（{report.folds} 折交叉验证）")
    for name, score in sorted(report.candidates.items(), key=lambda item: -item[1]):
        typer.echo(f"  候选 {name:<22} macro-F1 {score:.4f}")
    typer.echo(f"macro-F1 {report.macro_f1:.4f} ± {report.macro_f1_std:.4f}, accuracy {report.accuracy:.4f}")
    typer.echo(f"已保存: {where}")
    typer.echo(json.dumps({"task": task, "n": len(texts), **report.as_dict()}, ensure_ascii=False))


@text_app.command("evaluate")
def evaluate_command(
    model: Annotated[Path, typer.Option("--model", help="Model directory written by `text train --out`")],
    data: DataFile,
    text: TextColumns,
    label: LabelColumn,
) -> None:
    """Score a trained model on a labelled CSV; the last line is the result as JSON."""
    from minsheng.text.classify import DataError, ModelStoreError, evaluate, load_model_dir, read_labelled_csv

    try:
        classifier, meta = load_model_dir(model)
        texts, labels = read_labelled_csv(data, text, label)
    except (DataError, ModelStoreError) as error:
        raise _fail(f"评估失败: {error}") from error
    result = evaluate(classifier, texts, labels)
    typer.echo(f"模型 {model}（任务 {meta.get('task', '?')}, {classifier.model_name}）, 数据 {data}")
    typer.echo(f"{'label':<16}{'precision':>10}{'recall':>10}{'f1':>10}{'support':>10}")
    for name, row in result["per_class"].items():
        typer.echo(
            f"{name:<16}{row['precision']:>10.4f}{row['recall']:>10.4f}{row['f1']:>10.4f}{row['support']:>10}"
        )
    typer.echo(f"n {result['n']}, macro-F1 {result['macro_f1']:.4f}, accuracy {result['accuracy']:.4f}")
    typer.echo(json.dumps(result, ensure_ascii=False))


@text_app.command("analyze")
def analyze_command(
    title: Annotated[str | None, typer.Option("--title", help="Title of the text")] = None,
    published_at: Annotated[
        str | None,
        typer.Option("--published-at", help="ISO time the text was published (for relative dates)"),
    ] = None,
) -> None:
    """Read text on stdin and print its analysis as JSON."""
    import sys
    from datetime import datetime

    from minsheng.core.settings import get_settings
    from minsheng.text.analysis import engine_for_settings
    from minsheng.text.normalize import BinaryContent, decode

    moment = None
    if published_at:
        try:
            moment = datetime.fromisoformat(published_at)
        except ValueError as error:
            raise _fail(
                f"--published-at 应为 ISO 时间，例如 2026-11-23T08:00:00+08:00: {published_at}"
            ) from error
        if moment.tzinfo is None:
            raise _fail("--published-at 需要带时区，例如 +08:00")
    try:
        text = decode(sys.stdin.buffer.read()).text
    except BinaryContent as error:
        raise _fail(error.message) from error
    if not text.strip():
        raise _fail("标准输入为空：请输入要分析的文本")
    analysis = engine_for_settings(get_settings()).analyze(text, title=title, published_at=moment)
    typer.echo(json.dumps(analysis.to_dict(), ensure_ascii=False))
