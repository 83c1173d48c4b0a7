"""SOQL compiled to SQLAlchemy: field names checked against the object's fields, values typed
by their field and bound as parameters, Salesforce's comparison rules (text compares without
regard to case, ``!=`` keeps nulls) kept the same on SQLite and PostgreSQL."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Select,
    String,
    and_,
    false,
    func,
    literal,
    not_,
    or_,
    select,
    true,
)
from sqlalchemy.sql.elements import UnaryExpression

from system_apis.backends.crm.ids import to_18
from system_apis.backends.crm.sobjects import FieldSpec, FieldType, SObjectSpec, sobject
from system_apis.backends.crm.soql import (
    Comparison,
    Condition,
    Junction,
    Negation,
    Ordering,
    Query,
    SoqlError,
    Value,
)

MAX_OFFSET = 2000

_TYPE_NAMES = {
    FieldType.BOOLEAN: "boolean",
    FieldType.DATETIME: "dateTime",
    FieldType.DATE: "date",
}


@dataclass(frozen=True)
class CompiledQuery:
    spec: SObjectSpec
    fields: tuple[FieldSpec, ...]
    where: ColumnElement[bool]
    order_by: tuple[UnaryExpression[Any], ...]
    limit: int | None
    offset: int

    @property
    def count_only(self) -> bool:
        return not self.fields

    def count_statement(self) -> Select[int]:
        return select(func.count()).select_from(self.spec.model).where(self.where)

    def rows_statement(self, skip: int, take: int) -> Select[Any]:
        columns: list[Any] = [self.spec.column(field).label(field.name) for field in self.fields]
        if not any(field.name == "Id" for field in self.fields):
            # Every record names its own URL, selected or not.
            columns.append(self.spec.model.id.label("Id"))  # type: ignore[attr-defined]
        return (
            select(*columns)
            .where(self.where)
            .order_by(*self.order_by)
            .offset(self.offset + skip)
            .limit(take)
        )

    def size(self, matching: int) -> int:
        """Rows the query answers in all: what matches, after OFFSET, within LIMIT."""
        size = max(0, matching - self.offset)
        return size if self.limit is None else min(size, self.limit)


class Compiler:
    """Compiles parsed SOQL for one database engine (PostgreSQL needs byte-order collation
    to sort ids and text as SQLite does)."""

    def __init__(self, *, postgres: bool) -> None:
        self.postgres = postgres

    def compile(self, query: Query, *, include_deleted: bool) -> CompiledQuery:
        spec = sobject(query.sobject.name)
        if spec is None:
            raise SoqlError(
                "INVALID_TYPE",
                f"sObject type '{query.sobject.name}' is not supported. If you are attempting "
                "to use a custom object, be sure to append the '__c' after the entity name. "
                "Please reference your WSDL or the describe call for the appropriate names.",
                query.sobject.position,
            )
        fields = self._select_list(spec, query)
        where = self._condition(spec, query.where) if query.where is not None else true()
        if not include_deleted:
            where = and_(spec.model.is_deleted == false(), where)  # type: ignore[attr-defined]
        if query.offset is not None and query.offset > MAX_OFFSET:
            raise SoqlError(
                "NUMBER_OUTSIDE_VALID_RANGE",
                f"Maximum SOQL offset allowed is {MAX_OFFSET}",
            )
        return CompiledQuery(
            spec=spec,
            fields=fields,
            where=where,
            order_by=self._order_by(spec, query.order_by),
            limit=query.limit,
            offset=query.offset or 0,
        )

    def _select_list(self, spec: SObjectSpec, query: Query) -> tuple[FieldSpec, ...]:
        fields: list[FieldSpec] = []
        for ref in query.fields:
            field = _field(spec, ref.name, ref.position)
            if field in fields:
                raise SoqlError(
                    "MALFORMED_QUERY", f"duplicate field selected: {field.name}", ref.position
                )
            fields.append(field)
        return tuple(fields)

    def _order_by(
        self,
        spec: SObjectSpec,
        orderings: tuple[Ordering, ...],
    ) -> tuple[UnaryExpression[Any], ...]:
        clauses: list[UnaryExpression[Any]] = []
        for ordering in orderings:
            field = _field(spec, ordering.field, ordering.position)
            if not field.filterable:
                raise SoqlError(
                    "INVALID_FIELD",
                    f"field '{field.name}' can not be sorted in a query call",
                    ordering.position,
                )
            key = self._sort_key(spec, field)
            clause = key.desc() if ordering.descending else key.asc()
            clauses.append(clause.nulls_last() if ordering.nulls_last else clause.nulls_first())
        # Ties broken by id, so that every batch of a long result continues where the last ended.
        id_field = spec.field("Id")
        assert id_field is not None
        clauses.append(self._sort_key(spec, id_field).asc())
        return tuple(clauses)

    def _sort_key(self, spec: SObjectSpec, field: FieldSpec) -> ColumnElement[Any]:
        column: ColumnElement[Any] = spec.column(field)
        if field.is_text:
            return self._byte_order(func.lower(column))
        if field.type in (FieldType.ID, FieldType.REFERENCE):
            return self._byte_order(column)
        return column

    def _byte_order(self, expression: ColumnElement[Any]) -> ColumnElement[Any]:
        return expression.collate("C") if self.postgres else expression

    def _condition(self, spec: SObjectSpec, condition: Condition) -> ColumnElement[bool]:
        if isinstance(condition, Junction):
            parts = [self._condition(spec, part) for part in condition.parts]
            return and_(*parts) if condition.operator == "AND" else or_(*parts)
        if isinstance(condition, Negation):
            return not_(self._condition(spec, condition.part))
        return self._comparison(spec, condition)

    def _comparison(self, spec: SObjectSpec, comparison: Comparison) -> ColumnElement[bool]:
        field = _field(spec, comparison.field, comparison.position)
        if not field.filterable:
            raise SoqlError(
                "INVALID_FIELD",
                f"field '{field.name}' can not be filtered in a query call",
                comparison.position,
            )
        column: ColumnElement[Any] = spec.column(field)
        operator = comparison.operator
        if operator == "LIKE":
            return self._like(field, column, comparison.values[0])
        values = [_typed(field, value) for value in comparison.values]
        if operator in ("IN", "NOT IN"):
            return self._membership(field, column, values, negated=operator == "NOT IN")
        value = values[0]
        if value is None:
            return self._null_comparison(operator, column, comparison)
        if operator == "=":
            return self._key(field, column) == self._literal_key(field, value)
        if operator == "!=":
            return or_(
                column.is_(None), self._key(field, column) != self._literal_key(field, value)
            )
        if field.type is FieldType.BOOLEAN:
            raise SoqlError(
                "INVALID_QUERY_FILTER_OPERATOR",
                f"invalid operator on boolean field: {operator}",
                comparison.position,
            )
        key = self._ordered_key(field, column)
        literal = self._literal_key(field, value)
        return {
            "<": key < literal,
            "<=": key <= literal,
            ">": key > literal,
            ">=": key >= literal,
        }[operator]

    def _key(self, field: FieldSpec, column: ColumnElement[Any]) -> ColumnElement[Any]:
        # Salesforce compares text without regard to case.
        return func.lower(column) if field.is_text else column

    def _ordered_key(self, field: FieldSpec, column: ColumnElement[Any]) -> ColumnElement[Any]:
        if field.is_text or field.type in (FieldType.ID, FieldType.REFERENCE):
            return self._byte_order(self._key(field, column))
        return column

    @staticmethod
    def _literal_key(field: FieldSpec, value: Any) -> Any:
        # Lowered by the database, not Python, so both sides fold case the same way.
        return func.lower(literal(value, String())) if field.is_text else value

    def _null_comparison(
        self,
        operator: str,
        column: ColumnElement[Any],
        comparison: Comparison,
    ) -> ColumnElement[bool]:
        if operator == "=":
            return column.is_(None)
        if operator == "!=":
            return column.is_not(None)
        raise SoqlError(
            "MALFORMED_QUERY",
            f"invalid null comparison with operator {operator}",
            comparison.position,
        )

    def _like(
        self,
        field: FieldSpec,
        column: ColumnElement[Any],
        value: Value,
    ) -> ColumnElement[bool]:
        if not (field.is_text or field.type in (FieldType.ID, FieldType.REFERENCE)):
            raise SoqlError(
                "INVALID_QUERY_FILTER_OPERATOR",
                f"invalid operator on {_TYPE_NAMES.get(field.type, field.type)} field: LIKE",
                value.position,
            )
        if value.kind != "string":
            raise _wrong_type(field, value)
        pattern = func.lower(literal(value.as_like_pattern(), String()))
        return func.lower(column).like(pattern, escape="\\")

    def _membership(
        self,
        field: FieldSpec,
        column: ColumnElement[Any],
        values: list[Any],
        *,
        negated: bool,
    ) -> ColumnElement[bool]:
        present = [self._literal_key(field, value) for value in values if value is not None]
        wants_null = len(present) != len(values)
        key = self._key(field, column)
        if negated:
            excluded = key.not_in(present) if present else true()
            if wants_null:
                return and_(column.is_not(None), excluded)
            return or_(column.is_(None), excluded)
        included = key.in_(present) if present else false()
        return or_(column.is_(None), included) if wants_null else included


def _field(spec: SObjectSpec, name: str, position: int) -> FieldSpec:
    field = spec.field(name)
    if field is None:
        raise SoqlError(
            "INVALID_FIELD",
            f"No such column '{name}' on entity '{spec.name}'. If you are attempting to use a "
            "custom field, be sure to append the '__c' after the custom field name. Please "
            "reference your WSDL or the describe call for the appropriate names.",
            position,
        )
    return field


def _typed(field: FieldSpec, value: Value) -> Any:
    """The literal as the field's type, or the error Salesforce gives for a mismatch."""
    if value.kind == "null":
        return None
    if field.is_text:
        if value.kind != "string":
            raise _wrong_type(field, value)
        return value.as_string()
    if field.type in (FieldType.ID, FieldType.REFERENCE):
        if value.kind != "string":
            raise _wrong_type(field, value)
        full = to_18(value.as_string())
        if full is None:
            raise SoqlError(
                "INVALID_QUERY_FILTER_OPERATOR",
                f"invalid ID field: {value.as_string()}",
                value.position,
            )
        return full
    expected = {
        FieldType.BOOLEAN: "boolean",
        FieldType.DATETIME: "datetime",
        FieldType.DATE: "date",
    }[field.type]
    if value.kind != expected:
        raise _wrong_type(field, value)
    if value.kind == "boolean":
        return value.text == "true"
    if value.kind == "date":
        return value.as_date()
    try:
        return value.as_datetime().astimezone(UTC)
    except OverflowError:
        raise SoqlError(
            "MALFORMED_QUERY", f"invalid date-time: {value.text}", value.position
        ) from None


def _wrong_type(field: FieldSpec, value: Value) -> SoqlError:
    if field.is_text or field.type in (FieldType.ID, FieldType.REFERENCE):
        name = "id" if field.type in (FieldType.ID, FieldType.REFERENCE) else "string"
        return SoqlError(
            "INVALID_FIELD",
            f"value of filter criterion for field '{field.name}' must be of type {name} and "
            "should be enclosed in quotes",
            value.position,
        )
    return SoqlError(
        "INVALID_FIELD",
        f"value of filter criterion for field '{field.name}' must be of type "
        f"{_TYPE_NAMES[field.type]} and should not be enclosed in quotes",
        value.position,
    )
