"""Turn evaluated Terraform values into policy documents that remember their source spans."""

from __future__ import annotations

import json
import math
from json.encoder import encode_basestring_ascii as _encode_string
from typing import TYPE_CHECKING, Any

from lpgen.model import ActionEntry, Location, PolicyDocument, Statement
from lpgen.terraform.values import (
    Encoded,
    SDict,
    SList,
    SStr,
    Unknown,
    Unreadable,
    first_unknown,
    to_plain,
)

if TYPE_CHECKING:
    from lpgen.terraform.loader import Block, Instance

_STYLES = ("jsonencode", "heredoc", "file", "templatefile", "policy_document", "json_string")


def document_from_value(value: Any, *, where: Location | None = None) -> PolicyDocument:
    """Parse an evaluated ``policy`` attribute value into a PolicyDocument."""
    if value is None:
        return PolicyDocument(unknown_reason="no policy document", location=where)
    if isinstance(value, Unreadable):
        return PolicyDocument(unknown_reason=value.reason, invalid=value.reason, location=where)
    if isinstance(value, Unknown):
        return PolicyDocument(unknown_reason=value.reason, location=where)
    if isinstance(value, Encoded):
        style = value.style if value.style in _STYLES else "unknown"
        doc = _from_structure(value.value, style=style)
        doc.location = value.loc or where
        doc.source_file = value.source_file
        return doc
    if isinstance(value, str) and not str(value).strip():
        # What `var.create ? data.x[0].json : ""` gives when not created: no document.
        return PolicyDocument(unknown_reason="the policy is an empty string", location=where)
    if isinstance(value, str):
        try:
            data = json.loads(str(value))
        except json.JSONDecodeError as exc:
            reason = f"policy is not valid JSON: {exc.msg} (line {exc.lineno})"
            written = getattr(value, "loc", None)
            if written is not None and (where is None or written.file != where.file):
                reason = f"{written.file}: {reason}"  # a template file
            return PolicyDocument(
                unknown_reason=reason,
                invalid=reason,
                location=where or getattr(value, "loc", None),
                style="json_string",
            )
        doc = _from_structure(data, style="json_string")
        doc.location = getattr(value, "loc", None) or where
        for st in doc.statements:
            st.not_editable = (
                "the policy is a JSON string inside HCL quotes; use jsonencode() so lpgen "
                "can edit it"
            )
        return doc
    if isinstance(value, dict):
        return PolicyDocument(
            unknown_reason="policy must be a JSON string (wrap the object in jsonencode())",
            location=where,
        )
    return PolicyDocument(unknown_reason="policy is not a JSON document", location=where)


def document_from_data(data: Any) -> PolicyDocument:
    """A PolicyDocument from plain data lpgen built itself (a statement from arguments)."""
    return _from_structure(data, style="unknown")


def _from_structure(data: Any, *, style: str) -> PolicyDocument:
    doc = PolicyDocument(style=style)  # type: ignore[arg-type]
    if isinstance(data, Unknown):
        doc.unknown_reason = data.reason
        return doc
    if not isinstance(data, dict):
        doc.unknown_reason = "policy document is not a JSON object"
        return doc
    doc.raw = to_plain(data) if first_unknown(data) is None else None
    stmts = data.get("Statement")
    if stmts is None:
        doc.unknown_reason = "policy document has no Statement"
        return doc
    if isinstance(stmts, Unknown):
        doc.unknown_reason = f"Statement is not known: {stmts.reason}"
        return doc
    items: list[Any]
    if isinstance(stmts, dict):
        items = [stmts]
    elif isinstance(stmts, list):
        items = list(stmts)
        doc.statements_location = getattr(stmts, "loc", None)
    else:
        doc.unknown_reason = "Statement must be an object or a list"
        return doc
    for i, raw in enumerate(items):
        doc.statements.append(_statement(i, raw, list_note=getattr(stmts, "note", None)))
    return doc


def _statement(index: int, raw: Any, *, list_note: str | None) -> Statement:
    st = Statement(index=index)
    if isinstance(raw, Unknown):
        st.unknown.append(f"statement is not known: {raw.reason}")
        st.not_editable = st.unknown[-1]
        st.effect = "Unknown"
        return st
    if not isinstance(raw, dict):
        st.unknown.append("statement is not an object")
        st.not_editable = st.unknown[-1]
        return st
    st.location = getattr(raw, "loc", None)
    note = getattr(raw, "note", None) or list_note
    effect = raw.get("Effect", "Allow")
    st.effect = str(effect) if isinstance(effect, str) else "Unknown"
    if isinstance(effect, Unknown):
        st.unknown.append(f"Effect is not known: {effect.reason}")
    sid = raw.get("Sid")
    st.sid = str(sid) if isinstance(sid, str) else None
    st.replaces = getattr(raw, "replaces", None)
    st.actions, a_loc, a_list, a_note = _actions(raw, "Action", st)
    st.not_actions, n_loc, n_list, n_note = _actions(raw, "NotAction", st)
    if st.not_actions == [] and st.actions is not None:
        st.not_actions = None  # an empty NotAction beside Action (a null module input) is none
    st.actions_location = a_loc if st.actions is not None else n_loc
    st.actions_is_list = a_list if st.actions is not None else n_list
    st.resources = _strings(raw.get("Resource"), st, "Resource")
    st.not_resources = _strings(raw.get("NotResource"), st, "NotResource")
    st.principals = to_plain(raw["Principal"]) if "Principal" in raw else None
    st.not_principals = to_plain(raw["NotPrincipal"]) if "NotPrincipal" in raw else None
    st.conditions = to_plain(raw["Condition"]) if "Condition" in raw else None
    if note:
        st.not_editable = note
    elif a_note or n_note:
        st.not_editable = a_note or n_note
    elif st.location is None:
        st.not_editable = "statement is computed by an expression"
    return st


def _actions(
    raw: dict[str, Any], key: str, st: Statement
) -> tuple[list[ActionEntry] | None, Location | None, bool, str | None]:
    if key not in raw:
        return None, None, True, None
    value = raw[key]
    if isinstance(value, Unknown):
        st.unknown.append(f"{key} is not known: {value.reason}")
        return [], None, True, f"{key} is not known statically"
    if isinstance(value, str):
        loc = getattr(value, "loc", None)
        note = None if loc is not None else f"{key} is computed by an expression"
        return [ActionEntry(str(value), loc)], loc, False, note
    if isinstance(value, list):
        entries: list[ActionEntry] = []
        note = getattr(value, "note", None)
        for item in value:
            if isinstance(item, Unknown):
                st.unknown.append(f"an entry of {key} is not known: {item.reason}")
                note = note or f"an entry of {key} is not known statically"
                continue
            if isinstance(item, list):  # flattened by IAM? no: invalid, keep visible
                note = note or f"{key} holds a nested list"
                continue
            entries.append(ActionEntry(str(item), getattr(item, "loc", None)))
        loc = value.loc if isinstance(value, SList) else None
        if loc is None and note is None:
            note = f"{key} list is built by an expression (concat, for, ...)"
        if note is None and any(e.location is None for e in entries):
            note = f"some {key} entries are built by expressions"
        return entries, loc, True, note
    st.unknown.append(f"{key} has an unexpected type")
    return [], None, True, f"{key} has an unexpected type"


def _strings(value: Any, st: Statement, key: str) -> list[str] | None:
    if value is None:
        return None
    if isinstance(value, Unknown):
        return ["<unknown>"]
    if isinstance(value, str):
        return [str(value)]
    if isinstance(value, list):
        return [str(v) if isinstance(v, str) else "<unknown>" for v in value]
    return ["<unknown>"]


# --- data "aws_iam_policy_document" ------------------------------------------------------


def build_policy_document(inst: Instance) -> Any:
    """Evaluate a ``data "aws_iam_policy_document"`` instance into an Encoded JSON document.

    Follows the AWS provider: statements of ``source_policy_documents`` come first, this
    document's statements replace those with the same ``sid``, and statements of
    ``override_policy_documents`` replace any with the same ``sid`` last.
    """
    block = inst.block
    statements: list[Any] = []
    origins: list[str] = []  # where each of statements came from

    def merge(items: Any, origin: str) -> None:
        if isinstance(items, Unknown):
            statements.append(Unknown(f"{origin} is not known: {items.reason}"))
            origins.append(origin)
            return
        if isinstance(items, dict):
            items = [items]
        if not isinstance(items, list):
            return
        for st in items:
            sid = st.get("Sid") if isinstance(st, dict) else None
            if isinstance(sid, str) and sid:
                for i, existing in enumerate(statements):
                    if isinstance(existing, dict) and existing.get("Sid") == sid:
                        statements[i] = _replacing(st, origins[i])
                        origins[i] = origin
                        break
                else:
                    statements.append(st)
                    origins.append(origin)
            else:
                statements.append(st)
                origins.append(origin)

    for attr in ("source_policy_documents", "source_json"):
        docs = inst.attr(attr)
        if docs is None:
            continue
        if isinstance(docs, str):
            docs = [docs]
        if isinstance(docs, Unknown):
            merge(docs, attr)
            continue
        for d in docs if isinstance(docs, list) else []:
            merge(_statements_of(d), attr)

    own: list[Any] = []
    for sub in block.blocks:
        if sub.type == "statement":
            own.append(_statement_block(inst, sub, inst.scope, note=None))
        elif sub.type == "dynamic" and sub.labels and sub.labels[0] == "statement":
            own.extend(_dynamic_statements(inst, sub))
    merge(own, "statement")

    for attr in ("override_policy_documents", "override_json"):
        docs = inst.attr(attr)
        if docs is None:
            continue
        if isinstance(docs, str):
            docs = [docs]
        if isinstance(docs, Unknown):
            merge(docs, attr)
            continue
        for d in docs if isinstance(docs, list) else []:
            merge(_statements_of(d), attr)

    version = inst.attr("version")
    doc: dict[str, Any] = {"Version": version if isinstance(version, str) else "2012-10-17"}
    policy_id = inst.attr("policy_id")
    if isinstance(policy_id, str):
        doc["Id"] = policy_id
    doc["Statement"] = statements
    text, complete = _json_text(doc)
    return Encoded(text, doc, "policy_document", complete=complete, loc=block.loc)


def _replacing(st: dict[str, Any], origin: str) -> SDict:
    """A copy of statement ``st`` marked as replacing one of ``origin`` with its Sid (the
    statement itself may be another document's too, where it replaces nothing)."""
    out = SDict(st, getattr(st, "loc", None), getattr(st, "note", None))
    out.replaces = "this document's statements" if origin == "statement" else origin
    return out


def _plain(x: Any) -> Any:
    if isinstance(x, Unknown):
        return "<unknown>"
    if isinstance(x, dict):
        return {str(k): _plain(v) for k, v in x.items()}
    if isinstance(x, list):
        return [_plain(i) for i in x]
    return str(x) if isinstance(x, str) else x


class _NotPlain(Exception):
    """A value :func:`_write_json` leaves to ``json.dumps`` (it says what is wrong)."""


def _json_text(doc: Any) -> tuple[str, bool]:
    """``json.dumps(_plain(doc), indent=2)`` (unknowns written ``"<unknown>"``), and whether
    ``doc`` holds no unknown. Written in one pass: ``json.dumps`` with an indent is the pure
    Python encoder, and every policy document of a tree is written."""
    out: list[str] = []
    unknown: list[bool] = []
    try:
        _write_json(doc, out, "\n", unknown)
    except (_NotPlain, RecursionError):
        return json.dumps(_plain(doc), indent=2), first_unknown(doc) is None
    return "".join(out), not unknown


def _write_json(x: Any, out: list[str], newline: str, unknown: list[bool]) -> None:
    if isinstance(x, str):
        out.append(_encode_string(x))
    elif isinstance(x, dict):
        if not x:
            out.append("{}")
            return
        inner = newline + "  "
        sep = "{" + inner
        for k, v in x.items():
            out.append(sep)
            out.append(_encode_string(str(k)))
            out.append(": ")
            _write_json(v, out, inner, unknown)
            sep = "," + inner
        out.append(newline + "}")
    elif isinstance(x, list):
        if not x:
            out.append("[]")
            return
        inner = newline + "  "
        sep = "[" + inner
        for v in x:
            out.append(sep)
            _write_json(v, out, inner, unknown)
            sep = "," + inner
        out.append(newline + "]")
    elif isinstance(x, Unknown):
        unknown.append(True)
        out.append('"<unknown>"')
    elif x is None:
        out.append("null")
    elif x is True:
        out.append("true")
    elif x is False:
        out.append("false")
    elif isinstance(x, int):
        out.append(int.__repr__(x))
    elif isinstance(x, float) and math.isfinite(x):
        out.append(float.__repr__(x))
    else:
        raise _NotPlain


def _statements_of(doc: Any) -> Any:
    if isinstance(doc, Unknown):
        return doc
    if isinstance(doc, Encoded):
        data = doc.value
    elif isinstance(doc, str):
        try:
            data = json.loads(str(doc))
        except ValueError:
            return Unknown("source/override document is not valid JSON")
    else:
        return Unknown("source/override document is not a JSON string")
    if isinstance(data, dict):
        return data.get("Statement", [])
    return Unknown("source/override document is not a JSON object")


def _dynamic_statements(inst: Instance, dyn: Block) -> list[Any]:
    from lpgen.terraform.evaluate import iterate

    iterator = "statement"
    it_node = dyn.attrs.get("iterator")
    if it_node is not None:
        iterator = dyn.source.text[it_node.meta.start_pos : it_node.meta.end_pos].strip()
    coll = inst.attr("for_each", dyn)
    if isinstance(coll, Unknown):
        return [Unknown(f"dynamic statement for_each is not known: {coll.reason}")]
    pairs = iterate(coll)
    if isinstance(pairs, Unknown):
        return [pairs]
    content = next((b for b in dyn.blocks if b.type == "content"), None)
    if content is None:
        return []
    out: list[Any] = []
    for key, value in pairs:
        scope = inst.scope.child(**{iterator: SDict({"key": key, "value": value})})
        out.append(
            _statement_block(
                inst,
                content,
                scope,
                note="statement is generated by a dynamic block; edit its for_each input",
                loc=dyn.loc,
            )
        )
    return out


def _statement_block(
    inst: Instance, blk: Block, scope: Any, *, note: str | None, loc: Location | None = None
) -> Any:
    out = SDict(loc=loc or blk.loc, note=note)

    def val(name: str) -> Any:
        return inst.attr(name, blk, scope)

    sid = val("sid")
    if sid is not None:
        out["Sid"] = sid
    effect = val("effect")
    out["Effect"] = effect if effect is not None else SStr("Allow")
    for attr, key in (
        ("actions", "Action"),
        ("not_actions", "NotAction"),
        ("resources", "Resource"),
        ("not_resources", "NotResource"),
    ):
        v = val(attr)
        if v is not None:
            if isinstance(v, list) and not isinstance(v, SList):
                v = SList(v, None, note=f"{attr} is built by an expression")
            out[key] = v
    for kind, key in (("principals", "Principal"), ("not_principals", "NotPrincipal")):
        blocks = _sub_blocks(inst, blk, kind, scope)
        if blocks:
            principal: dict[str, Any] = {}
            for sub, sscope in blocks:
                ptype = inst.attr("type", sub, sscope)
                ids = inst.attr("identifiers", sub, sscope)
                if isinstance(ptype, str):
                    existing = principal.get(str(ptype))
                    merged = (list(existing) if isinstance(existing, list) else []) + (
                        list(ids) if isinstance(ids, list) else [ids]
                    )
                    principal[str(ptype)] = merged
                else:
                    principal["<unknown>"] = ids
            out[key] = principal
    conds = _sub_blocks(inst, blk, "condition", scope)
    if conds:
        condition: dict[str, Any] = {}
        for sub, sscope in conds:
            test = inst.attr("test", sub, sscope)
            variable = inst.attr("variable", sub, sscope)
            values = inst.attr("values", sub, sscope)
            t = str(test) if isinstance(test, str) else "<unknown>"
            v = str(variable) if isinstance(variable, str) else "<unknown>"
            condition.setdefault(t, {})[v] = values
        out["Condition"] = condition
    return out


def _sub_blocks(inst: Instance, blk: Block, kind: str, scope: Any) -> list[tuple[Block, Any]]:
    if not blk.blocks:
        return []
    from lpgen.terraform.evaluate import iterate

    found: list[tuple[Block, Any]] = [(b, scope) for b in blk.sub(kind)]
    for dyn in blk.sub("dynamic"):
        if not dyn.labels or dyn.labels[0] != kind:
            continue
        coll = inst.attr("for_each", dyn, scope)
        pairs = iterate(coll) if not isinstance(coll, Unknown) else coll
        content = next((b for b in dyn.blocks if b.type == "content"), None)
        if isinstance(pairs, Unknown) or content is None:
            continue
        iterator = kind
        it_node = dyn.attrs.get("iterator")
        if it_node is not None:
            iterator = dyn.source.text[it_node.meta.start_pos : it_node.meta.end_pos].strip()
        for key, value in pairs:
            found.append((content, scope.child(**{iterator: SDict({"key": key, "value": value})})))
    return found
