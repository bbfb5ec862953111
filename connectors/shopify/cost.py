"""The calculated cost of a GraphQL Admin query, from the document alone.

Shopify charges by a query's shape: scalars and enums cost 0, an object 1, a connection 2 plus
its page size times the cost of one node, a mutation 10. The emulator uses this as its price
list and the connector uses the same function to know, before sending, how many points a call
will take from the bucket (and how large a page fits under the 1,000-point cap).

``actual`` walks the answer as well: a connection then costs what it returned, not what it
asked for (Shopify refunds the difference after running the query).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

from graphql import (
    DocumentNode,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    InlineFragmentNode,
    IntValueNode,
    OperationDefinitionNode,
    OperationType,
    SelectionSetNode,
    VariableNode,
    parse,
)

MUTATION_COST = 10
CONNECTION_BASE = 2
#: A single query may ask for at most this many points (MAX_COST_EXCEEDED above it).
MAX_QUERY_COST = 1000


def requested_cost(document: DocumentNode | str, variables: Mapping[str, Any] | None = None) -> int:
    return _Walker(_doc(document), variables or {}).operation(None)


def actual_cost(
    document: DocumentNode | str, variables: Mapping[str, Any] | None, data: Any
) -> int:
    return _Walker(_doc(document), variables or {}).operation(data)


def _doc(document: DocumentNode | str) -> DocumentNode:
    return parse(document) if isinstance(document, str) else document


class _Walker:
    def __init__(self, doc: DocumentNode, variables: Mapping[str, Any]) -> None:
        self.variables = variables
        self.fragments = {
            d.name.value: d for d in doc.definitions if isinstance(d, FragmentDefinitionNode)
        }
        ops = [d for d in doc.definitions if isinstance(d, OperationDefinitionNode)]
        self.op = ops[0] if ops else None

    def operation(self, data: Any) -> int:
        if self.op is None:
            return 0
        if self.op.operation == OperationType.MUTATION:
            return MUTATION_COST * len(self._fields(self.op.selection_set))
        return math.ceil(self._selection(self.op.selection_set, data))

    def _fields(self, selection: SelectionSetNode | None) -> list[FieldNode]:
        out: list[FieldNode] = []
        for node in selection.selections if selection else ():
            if isinstance(node, FieldNode):
                out.append(node)
            elif isinstance(node, InlineFragmentNode):
                out.extend(self._fields(node.selection_set))
            elif isinstance(node, FragmentSpreadNode) and node.name.value in self.fragments:
                out.extend(self._fields(self.fragments[node.name.value].selection_set))
        return out

    def _selection(self, selection: SelectionSetNode | None, data: Any) -> float:
        total = 0.0
        for field in self._fields(selection):
            if field.selection_set is None or field.name.value.startswith("__"):
                continue  # scalars and enums are free
            key = field.alias.value if field.alias else field.name.value
            value = data.get(key) if isinstance(data, dict) else None
            total += self._field(field, value, data is not None)
        return total

    def _field(self, field: FieldNode, value: Any, have_data: bool) -> float:
        children = self._fields(field.selection_set)
        inner = [c for c in children if c.name.value in ("nodes", "edges")]
        size = self._size(field)
        if inner:  # a connection: 2 + page size x one node
            per_node = 0.0
            for child in inner:
                node_sel = child.selection_set
                if child.name.value == "edges":
                    node_sel = _node_selection(self, child)
                items = value.get(child.name.value) if isinstance(value, dict) else None
                if have_data:
                    rows = items if isinstance(items, list) else []
                    if child.name.value == "edges":
                        rows = [r.get("node") if isinstance(r, dict) else None for r in rows]
                    per_node = max(per_node, sum(1 + self._selection(node_sel, r) for r in rows))
                else:
                    per_node = max(per_node, size * (1 + self._selection(node_sel, None)))
            return CONNECTION_BASE + per_node
        if isinstance(value, list):  # a list of objects: each costs
            return sum(1 + self._selection(field.selection_set, v) for v in value)
        if have_data and value is None:
            return 0.0
        one = 1 + self._selection(field.selection_set, value)
        return one * (size if size is not None and not have_data else 1)

    def _size(self, field: FieldNode) -> int:
        for arg in field.arguments:
            if arg.name.value in ("first", "last"):
                node = arg.value
                if isinstance(node, IntValueNode):
                    return int(node.value)
                if isinstance(node, VariableNode):
                    raw = self.variables.get(node.name.value)
                    if isinstance(raw, int) and not isinstance(raw, bool):
                        return raw
        return 1


def _node_selection(walker: _Walker, edges: FieldNode) -> SelectionSetNode | None:
    for child in walker._fields(edges.selection_set):
        if child.name.value == "node":
            return child.selection_set
    return None
