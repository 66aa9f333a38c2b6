"""Compare our VBC contract with VBC's official definition: every fact we declare must be theirs.

``disagreements(ours, official)`` walks each operation of ``ours`` (operationId, method, path,
security), each of its parameters (name, in, required, type, format, enum, default), its
request body and every response status, down to each field of each schema (type, format, enum,
default, nullable, required-ness, combinators), and names every place where the official
document says otherwise or says nothing. What the official document has beyond ours is fine:
ours is the subset the bot relies on. Known mistakes of the official documents are corrected
first, each by a named ``Erratum``.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

Doc = Mapping[str, Any]
METHODS = ("get", "put", "post", "delete", "patch", "head", "options")
# The facts of a parameter or schema node that must agree; descriptions and examples need not.
FACTS = ("type", "format", "enum", "default", "nullable")
COMBINATORS = ("oneOf", "anyOf", "allOf")


@dataclass(frozen=True)
class Erratum:
    """A known mistake in an official document, corrected in a copy before comparing."""

    api: str
    operation_id: str
    why: str
    fix: Callable[[dict[str, Any]], None]


def _extension_list_embeds_a_list(raw: dict[str, Any]) -> None:
    route = {"$ref": "#/components/schemas/EndUserRoute"}
    embedded = raw["components"]["schemas"]["EndUserRouteEmbeddedObject"]
    embedded["properties"]["data"] = {"oneOf": [route, {"type": "array", "items": route}]}


ERRATA = (
    Erratum(
        "provisioning",
        "ExtensionCtrl.getAccountExtensions",
        "the list embeds a list of EndUserRoute under _embedded.data; the document says one",
        _extension_list_embeds_a_list,
    ),
)


def corrected(api: str, official: Doc, *, but: Erratum | None = None) -> dict[str, Any]:
    """A copy of an official document with the errata for ``api`` (except ``but``) applied."""
    fixed = copy.deepcopy(dict(official))
    for erratum in ERRATA:
        if erratum.api == api and erratum is not but:
            erratum.fix(fixed)
    return fixed


def disagreements(ours: Doc, official: Doc) -> list[str]:
    """Every fact of ``ours`` the ``official`` document does not state the same way."""
    found = []
    if _servers(ours) != _servers(official):
        found.append(f"servers: {_servers(ours)} here, {_servers(official)} officially")
    theirs = dict(_operations(official))
    for key, op in _operations(ours):
        label = f"{op.get('operationId')} ({key[0].upper()} {key[1]})"
        if key not in theirs:
            found.append(f"{label}: no such operation in the official definition")
            continue
        found += [f"{label}: {problem}" for problem in _operation(ours, op, official, theirs[key])]
    return found


# Operations --------------------------------------------------------------------------------
def _operations(doc: Doc) -> Iterator[tuple[tuple[str, str], Mapping[str, Any]]]:
    for path, item in doc.get("paths", {}).items():
        for method in METHODS:
            if method in item:
                shared = item.get("parameters", [])
                operation = {**item[method]}
                operation["parameters"] = [*shared, *item[method].get("parameters", [])]
                operation.setdefault("security", doc.get("security", []))
                yield (method, path), operation


def _operation(
    ours: Doc, op: Mapping[str, Any], official: Doc, theirs: Mapping[str, Any]
) -> list[str]:
    found = []
    if op.get("operationId") != theirs.get("operationId"):
        found.append(f"operationId is {theirs.get('operationId')!r} officially")
    if _security(op) != _security(theirs):
        found.append(f"security {_security(op)} here, {_security(theirs)} officially")
    found += _parameters(ours, op, official, theirs)
    if "requestBody" in op:
        found += _body(ours, op["requestBody"], official, theirs.get("requestBody"))
    elif _resolve(official, theirs.get("requestBody")).get("required"):
        found.append("request body: required officially, none here")
    for status, response in op.get("responses", {}).items():
        found += _response(str(status), ours, response, official, theirs.get("responses", {}))
    return found


def _security(op: Mapping[str, Any]) -> list[list[str]]:
    return sorted(sorted(requirement) for requirement in op.get("security", []))


def _parameters(
    ours: Doc, op: Mapping[str, Any], official: Doc, theirs: Mapping[str, Any]
) -> list[str]:
    mine = _by_location(ours, op["parameters"])
    known = _by_location(official, theirs["parameters"])
    found = []
    for (where, name), param in mine.items():
        label = f"{where} parameter {name!r}"
        other = known.get((where, name))
        if other is None:
            found.append(f"{label}: not in the official definition")
            continue
        if bool(param.get("required")) != bool(other.get("required")):
            found.append(
                f"{label}: required {bool(param.get('required'))} here, "
                f"{bool(other.get('required'))} officially"
            )
        found += _schemas(label, ours, param.get("schema", {}), official, other.get("schema", {}))
    for (where, name), other in known.items():
        if other.get("required") and (where, name) not in mine:
            found.append(f"{where} parameter {name!r}: required officially, missing here")
    return found


def _by_location(doc: Doc, params: list[Any]) -> dict[tuple[str, str], Mapping[str, Any]]:
    resolved = (_resolve(doc, p) for p in params)
    return {(p["in"], p["name"]): p for p in resolved}


def _body(ours: Doc, body: Any, official: Doc, other: Any) -> list[str]:
    if other is None:
        return ["request body: none officially"]
    mine, theirs = _resolve(ours, body), _resolve(official, other)
    found = []
    if bool(mine.get("required")) != bool(theirs.get("required")):
        found.append(
            f"request body: required {bool(mine.get('required'))} here, "
            f"{bool(theirs.get('required'))} officially"
        )
    return found + _contents("request body", ours, mine, official, theirs)


def _response(
    status: str, ours: Doc, response: Any, official: Doc, known: Mapping[Any, Any]
) -> list[str]:
    label = f"response {status}"
    other = known.get(status, known.get(int(status) if status.isdigit() else status))
    if other is None:
        return [f"{label}: not in the official definition"]
    mine, theirs = _resolve(ours, response), _resolve(official, other)
    found = _contents(label, ours, mine, official, theirs)
    if not mine.get("content") and theirs.get("content"):
        found.append(f"{label}: has a body officially, none here")
    return found


def _contents(
    label: str, ours: Doc, mine: Mapping[str, Any], official: Doc, theirs: Mapping[str, Any]
) -> list[str]:
    found = []
    for media, content in (mine.get("content") or {}).items():
        other = (theirs.get("content") or {}).get(media)
        if other is None:
            found.append(f"{label} {media}: not in the official definition")
            continue
        found += _schemas(
            f"{label} {media}", ours, content.get("schema", {}), official, other.get("schema", {})
        )
    return found


# Schemas -----------------------------------------------------------------------------------
def _schemas(label: str, ours: Doc, mine: Any, official: Doc, theirs: Any) -> list[str]:
    """Every field of ``mine`` must be a field of ``theirs`` with the same facts."""
    known = _fields(official, theirs)
    found: list[str] = []
    absent: list[str] = []  # reported once, at the outermost missing field
    for path, facts in _fields(ours, mine).items():
        where = f"{label} field {path}" if path else label
        other = known.get(path)
        if any(path.startswith(top) and path[len(top)] in ".[|" for top in absent):
            continue
        if other is None:
            found.append(f"{where}: not in the official definition")
            absent.append(path)
            continue
        for fact in sorted(facts.keys() | other.keys()):
            if facts.get(fact) != other.get(fact):
                found.append(
                    f"{where}: {fact} {_stated(facts, fact)} here, "
                    f"{_stated(other, fact)} officially"
                )
    return found


def _stated(facts: Mapping[str, Any], fact: str) -> str:
    return repr(facts[fact]) if fact in facts else "not stated"


def _fields(doc: Doc, schema: Any) -> dict[str, dict[str, Any]]:
    """Each node of a schema by its path (``a.b[].c``, ``x|oneOf 1``) with its stated facts."""
    out: dict[str, dict[str, Any]] = {}
    _walk(doc, schema, "", None, out, depth=0)
    return out


def _walk(
    doc: Doc,
    node: Any,
    path: str,
    required: bool | None,  # None: not an object's property
    out: dict[str, dict[str, Any]],
    depth: int,
) -> None:
    if depth > 32:  # a recursive schema; everything above was compared
        return
    node = _resolve(doc, node)
    facts = {fact: _fact(fact, node[fact]) for fact in FACTS if fact in node}
    if required is not None:
        facts["required"] = required
    out[path] = facts
    for combinator in COMBINATORS:
        if combinator in node:
            facts[combinator] = len(node[combinator])
            for number, variant in enumerate(node[combinator], 1):
                _walk(doc, variant, f"{path}|{combinator} {number}", None, out, depth + 1)
    if "items" in node:
        _walk(doc, node["items"], f"{path}[]", None, out, depth + 1)
    needed = set(node.get("required", []))
    for name, prop in (node.get("properties") or {}).items():
        child = f"{path}.{name}" if path else name
        _walk(doc, prop, child, name in needed, out, depth + 1)


def _fact(fact: str, value: Any) -> Any:
    return sorted(value, key=str) if fact == "enum" else value


def _resolve(doc: Doc, node: Any) -> Mapping[str, Any]:
    while isinstance(node, Mapping) and "$ref" in node:
        target: Any = doc
        for part in str(node["$ref"]).removeprefix("#/").split("/"):
            target = target[part]
        node = target
    return node if isinstance(node, Mapping) else {}


def _servers(doc: Doc) -> list[str]:
    return [str(server.get("url", "")).rstrip("/") for server in doc.get("servers", [])]
