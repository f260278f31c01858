"""Reads that run on every request, compiled once per database dialect and run on the DB-API cursor.

SQLAlchemy's ORM and Core spend 0.1–0.3 ms per statement on events, transaction bookkeeping and result objects. For
the few reads every page makes (who is signed in; on a lesson, the course and the learner's enrolment) that is several
times the query itself, and it was most of what separated a cached lesson page from a bare "hello" route.

`PreparedRead` keeps what matters from SQLAlchemy and drops the rest: the statement is written as a Core SELECT and
compiled for the session's dialect (the same SQL on SQLite and PostgreSQL as SQLAlchemy would send); it runs on the
session's connection once the session has begun (so it sees what the session wrote), else on a pooled connection of
the session's bind; each column goes through its type's result processor (datetimes, booleans, JSON, numbers), as in
SQLAlchemy's own results; and listeners of the cursor events (query logs and counts) still see the statement.
Statements whose parameters need converting before they are sent are refused.
"""

from __future__ import annotations

from collections import namedtuple
from collections.abc import Callable, Iterable, Sequence
from functools import partial
from typing import Any

import sqlalchemy as sa
from sqlalchemy import orm


class PreparedRead:
    """A SELECT that returns at most one row of plain values, as a named tuple."""

    def __init__(self, statement: sa.Select[Any]) -> None:
        self.statement = statement
        self.row_type = namedtuple("Row", [column.key for column in statement.selected_columns])  # noqa: PYI024
        self._compiled: dict[sa.Dialect, _Compiled] = {}

    def first(self, session: orm.Session, **params: Any) -> Any:
        """The first row for these bind parameters, or None.

        When the session has begun its transaction the read runs on its connection, so it sees what the session
        wrote. Before that it runs on the session's bind without beginning the session's transaction: on the
        connection the session is bound to, or on a connection from the engine's pool.
        """
        if session.in_transaction():
            return self._on(session.connection(), params)
        bind = session.get_bind()
        if isinstance(bind, sa.Connection):
            return self._on(bind, params)
        if bind.dispatch.before_cursor_execute or bind.dispatch.after_cursor_execute:
            with bind.connect() as connection:  # someone listens to the statements (a log, a query count)
                return self._on(connection, params)
        pooled = bind.raw_connection()
        try:
            return self._fetch(bind.dialect, pooled.driver_connection, params)
        finally:
            pooled.close()  # back to the pool, which rolls back whatever the driver began

    def _on(self, connection: sa.Connection, params: dict[str, Any]) -> Any:
        """Run on a SQLAlchemy connection, telling its cursor-event listeners (without an execution context)."""
        before, after = connection.dispatch.before_cursor_execute, connection.dispatch.after_cursor_execute

        def listen(event: Any, cursor: Any, sql: str, parameters: Any) -> None:
            if event:
                event(connection, cursor, sql, parameters, None, False)

        return self._fetch(
            connection.dialect,
            connection.connection.driver_connection,
            params,
            before=partial(listen, before) if before else None,
            after=partial(listen, after) if after else None,
        )

    def _fetch(
        self,
        dialect: sa.Dialect,
        driver_connection: Any,
        params: dict[str, Any],
        before: Callable[..., None] | None = None,
        after: Callable[..., None] | None = None,
    ) -> Any:
        compiled = self._compiled.get(dialect) or self._compile(dialect)
        parameters = compiled.parameters(params)
        cursor = driver_connection.cursor()
        try:
            if before:
                before(cursor, compiled.sql, parameters)
            cursor.execute(compiled.sql, parameters)
            row = cursor.fetchone()
            processors = compiled.processors or compiled.processors_for(dialect, cursor.description)
            if after:
                after(cursor, compiled.sql, parameters)
        finally:
            cursor.close()
        if row is None:
            return None
        return self.row_type._make(
            value if process is None else process(value) for value, process in zip(row, processors, strict=True)
        )

    def _compile(self, dialect: sa.Dialect) -> _Compiled:
        compiled = self.statement.compile(dialect=dialect)
        for name, bind in compiled.binds.items():
            if bind.type.dialect_impl(dialect).bind_processor(dialect) is not None:
                raise TypeError(f"bind parameter {name!r} needs a bind processor; run this statement with SQLAlchemy")
        self._compiled[dialect] = result = _Compiled(compiled, self.statement.selected_columns)
        return result


class _Compiled:
    def __init__(self, compiled: sa.engine.Compiled, columns: Iterable[sa.ColumnElement[Any]]) -> None:
        self.sql = compiled.string
        self.positional = compiled.positiontup  # parameter names in the order of the SQL's "?" or "%s" marks; else None
        self.columns = list(columns)
        self.processors: list[Callable[[Any], Any] | None] = []
        # Values the statement carries itself (literals compared in its WHERE clause); the rest are passed in.
        self.defaults = {name: bind.effective_value for name, bind in compiled.binds.items() if not bind.required}

    def processors_for(self, dialect: sa.Dialect, description: Sequence[Sequence[Any]]) -> list[Any]:
        """Each column's result processor; some depend on the type the driver reports (PostgreSQL's numbers)."""
        self.processors = [
            column.type.dialect_impl(dialect).result_processor(dialect, described[1])
            for column, described in zip(self.columns, description, strict=True)
        ]
        return self.processors

    def parameters(self, params: dict[str, Any]) -> tuple[Any, ...] | dict[str, Any]:
        values = {**self.defaults, **params} if self.defaults else params
        if self.positional is None:
            return values
        return tuple(values[name] for name in self.positional)
