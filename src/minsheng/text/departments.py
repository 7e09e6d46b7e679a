"""Find mentions of the deployment's departments by full name or alias."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Protocol

import ahocorasick


class DepartmentLike(Protocol):
    """Anything shaped like a department row: the ORM `Department` or a `DepartmentRecord`."""

    @property
    def id(self) -> int: ...
    @property
    def code(self) -> str: ...
    @property
    def name(self) -> str: ...
    @property
    def aliases(self) -> Sequence[str]: ...


@dataclass(frozen=True, slots=True)
class DepartmentRecord:
    """A department given as a plain record, for using the text engine without a database."""

    id: int
    code: str
    name: str
    aliases: Sequence[str] = field(default_factory=tuple)


@dataclass(frozen=True, slots=True)
class DepartmentMention:
    """A department named in a text, by its full name or one of its aliases."""

    text: str
    start: int
    end: int
    department_id: int
    code: str
    name: str


@dataclass(frozen=True, slots=True)
class _Target:
    length: int
    department_id: int
    code: str
    name: str


class DepartmentIndex:
    """An automaton over department names and aliases; the longest name at a position wins."""

    def __init__(self, departments: Iterable[DepartmentLike]) -> None:
        owners: dict[str, set[int]] = {}
        full_names: dict[str, _Target] = {}
        targets: dict[int, _Target] = {}
        for department in departments:
            target = _Target(0, department.id, department.code, department.name)
            targets[department.id] = target
            full_names[department.name.strip()] = target
            for name in (department.name, *department.aliases):
                name = name.strip()
                if name:
                    owners.setdefault(name, set()).add(department.id)
        self._automaton = ahocorasick.Automaton()
        for name, ids in owners.items():
            # A full name always means its own department; an alias two departments share means neither.
            owner = full_names.get(name) or (targets[next(iter(ids))] if len(ids) == 1 else None)
            if owner is not None:
                self._automaton.add_word(
                    name, _Target(len(name), owner.department_id, owner.code, owner.name)
                )
        self._size = len(targets)
        if len(self._automaton):
            self._automaton.make_automaton()

    def __len__(self) -> int:
        return self._size

    def find(self, text: str) -> list[DepartmentMention]:
        """Return the departments named in text, in order of appearance, without overlaps."""
        if not text or self._automaton.kind != ahocorasick.AHOCORASICK:
            return []
        mentions = []
        for end, target in self._automaton.iter_long(text):
            start = end + 1 - target.length
            mentions.append(
                DepartmentMention(
                    text[start : end + 1], start, end + 1, target.department_id, target.code, target.name
                )
            )
        return mentions
