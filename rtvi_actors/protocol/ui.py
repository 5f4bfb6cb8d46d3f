"""UI messages (RTVI 1.3+), both directions, and the standard ``ui-command`` payloads.

Client → server: ``ui-event``, ``ui-snapshot``, ``ui-cancel-job-group``.
Server → client: ``ui-command``, ``ui-job-group``.
The snapshot tree keeps unknown keys at every level, so it is kept as validated JSON.
"""

from typing import Any, ClassVar, Literal, final

import attrs

from rtvi_actors.protocol._fields import FIELDS, RAW, DataMode
from rtvi_actors.protocol.converter import JsonObject

__all__ = [
    "JOB_GROUP_KINDS",
    "JobCompleted",
    "JobGroupCompleted",
    "JobGroupEvent",
    "JobGroupStarted",
    "JobUpdate",
    "UiCancelJobGroup",
    "UiCommand",
    "UiEvent",
    "UiJobGroup",
    "UiSnapshot",
    "command_payload",
    "validate_snapshot_tree",
]

_NODE_STR = ("name", "value")
_NODE_INT = ("level", "colcount", "rowcount")


def _is_int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def validate_snapshot_tree(tree: object) -> None:
    """Check a ``ui-snapshot`` tree without recursion (deep trees cannot blow the stack).

    Args:
        tree: ``{root: A11yNode, captured_at: int, selection?: {...}}``; extra keys allowed.

    Raises:
        ValueError: The tree does not have the documented shape.
    """
    if not isinstance(tree, dict):
        raise ValueError("tree must be an object")
    if not _is_int(tree.get("captured_at")):
        raise ValueError("tree.captured_at must be an integer (epoch ms)")
    selection = tree.get("selection")
    if selection is not None:
        if not isinstance(selection, dict):
            raise ValueError("tree.selection must be an object")
        if not isinstance(selection.get("ref"), str) or not isinstance(selection.get("text"), str):
            raise ValueError("tree.selection needs string 'ref' and 'text'")
        for key in ("start_offset", "end_offset"):
            if selection.get(key) is not None and not _is_int(selection[key]):
                raise ValueError(f"tree.selection.{key} must be an integer")
    stack = [tree.get("root")]
    while stack:
        node = stack.pop()
        if not isinstance(node, dict):
            raise ValueError("every node must be an object")
        if not isinstance(node.get("ref"), str) or not isinstance(node.get("role"), str):
            raise ValueError("every node needs string 'ref' and 'role'")
        for key in _NODE_STR:
            if node.get(key) is not None and not isinstance(node[key], str):
                raise ValueError(f"node.{key} must be a string")
        for key in _NODE_INT:
            if node.get(key) is not None and not _is_int(node[key]):
                raise ValueError(f"node.{key} must be an integer")
        state = node.get("state")
        if state is not None and (
            not isinstance(state, list) or not all(isinstance(s, str) for s in state)
        ):
            raise ValueError("node.state must be a list of strings")
        children = node.get("children")
        if children is not None:
            if not isinstance(children, list):
                raise ValueError("node.children must be a list")
            stack.extend(children)


def _check_tree(_: object, __: attrs.Attribute, value: JsonObject) -> None:
    validate_snapshot_tree(value)


@final
@attrs.frozen(kw_only=True)
class UiEvent:
    """``ui-event`` (C→S): an app-defined UI event."""

    TYPE: ClassVar[str] = "ui-event"
    DATA_MODE: ClassVar[DataMode] = FIELDS
    event: str
    payload: Any = None


@final
@attrs.frozen(kw_only=True)
class UiSnapshot:
    """``ui-snapshot`` (C→S): the page's accessibility tree (validated, extra keys kept)."""

    TYPE: ClassVar[str] = "ui-snapshot"
    DATA_MODE: ClassVar[DataMode] = FIELDS
    tree: JsonObject = attrs.field(validator=_check_tree)


@final
@attrs.frozen(kw_only=True)
class UiCancelJobGroup:
    """``ui-cancel-job-group`` (C→S): the user cancels a running job group."""

    TYPE: ClassVar[str] = "ui-cancel-job-group"
    DATA_MODE: ClassVar[DataMode] = FIELDS
    job_id: str
    reason: str | None = None


@final
@attrs.frozen(kw_only=True)
class UiCommand:
    """``ui-command`` (S→C). ``payload`` is a plain dict: its ``null`` values are kept."""

    TYPE: ClassVar[str] = "ui-command"
    DATA_MODE: ClassVar[DataMode] = FIELDS
    command: str
    payload: Any = None


@final
@attrs.frozen(kw_only=True)
class JobGroupStarted:
    """``ui-job-group`` kind ``group_started``."""

    kind: Literal["group_started"] = "group_started"
    job_id: str
    workers: tuple[str, ...] | None = None
    label: str | None = None
    cancellable: bool = True
    at: int = 0


@final
@attrs.frozen(kw_only=True)
class JobUpdate:
    """``ui-job-group`` kind ``job_update``."""

    kind: Literal["job_update"] = "job_update"
    job_id: str
    worker_name: str
    data: Any = None
    at: int = 0


@final
@attrs.frozen(kw_only=True)
class JobCompleted:
    """``ui-job-group`` kind ``job_completed``; the client expects running/completed/…/error."""

    kind: Literal["job_completed"] = "job_completed"
    job_id: str
    worker_name: str
    status: str
    response: Any = None
    at: int = 0


@final
@attrs.frozen(kw_only=True)
class JobGroupCompleted:
    """``ui-job-group`` kind ``group_completed``."""

    kind: Literal["group_completed"] = "group_completed"
    job_id: str
    at: int = 0


JobGroupEvent = JobGroupStarted | JobUpdate | JobCompleted | JobGroupCompleted
"""One of the four ``ui-job-group`` shapes, told apart by ``kind``."""

JOB_GROUP_KINDS: dict[str, type[JobGroupEvent]] = {
    "group_started": JobGroupStarted,
    "job_update": JobUpdate,
    "job_completed": JobCompleted,
    "group_completed": JobGroupCompleted,
}


@final
@attrs.frozen(kw_only=True)
class UiJobGroup:
    """``ui-job-group`` (S→C): ``data`` is the event itself."""

    TYPE: ClassVar[str] = "ui-job-group"
    DATA_MODE: ClassVar[DataMode] = RAW
    event: JobGroupEvent


def command_payload(command: str, **fields: Any) -> UiCommand:
    """Build a standard ``ui-command`` whose payload keeps ``null`` fields, as Pipecat does.

    Known commands and their keys: ``toast`` (title, subtitle, description, image_url,
    duration_ms), ``navigate`` (view, params), ``scroll_to`` (ref, target_id, behavior),
    ``highlight`` (ref, target_id, duration_ms), ``focus``/``click`` (ref, target_id),
    ``set_input_value`` (value, ref, target_id, replace=True), ``select_text`` (ref, target_id,
    start_offset, end_offset). Unknown commands take the given fields as they are.

    Args:
        command: The command name.
        **fields: Payload values; missing standard keys become ``None``.

    Returns:
        The ``ui-command`` message.

    Raises:
        ValueError: A key that the standard command does not have.
    """
    keys = _STANDARD_KEYS.get(command)
    if keys is None:
        return UiCommand(command=command, payload=dict(fields))
    unknown = set(fields) - set(keys)
    if unknown:
        raise ValueError(f"{command} has no field {sorted(unknown)[0]!r}")
    payload = {key: fields.get(key, default) for key, default in keys.items()}
    return UiCommand(command=command, payload=payload)


_TARGET = {"ref": None, "target_id": None}
_STANDARD_KEYS: dict[str, dict[str, Any]] = {
    "toast": dict.fromkeys(("title", "subtitle", "description", "image_url", "duration_ms")),
    "navigate": {"view": None, "params": None},
    "scroll_to": {**_TARGET, "behavior": None},
    "highlight": {**_TARGET, "duration_ms": None},
    "focus": dict(_TARGET),
    "click": dict(_TARGET),
    "set_input_value": {"value": None, **_TARGET, "replace": True},
    "select_text": {**_TARGET, "start_offset": None, "end_offset": None},
}
