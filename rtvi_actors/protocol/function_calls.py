"""Function-call lifecycle messages (S→C) and the report-level policy that shapes them.

``llm-function-call-started`` / ``-in-progress`` / ``-stopped`` carry what the per-function
report level allows (RTVI 2.2.0 adds ``arguments``). The deprecated ``llm-function-call``
(``{function_name, tool_call_id, args}``, nulls kept) is what 0.x clients execute.

| level     | started           | in-progress                     | stopped                      |
|-----------|-------------------|---------------------------------|------------------------------|
| disabled  | not sent          | not sent                        | not sent                     |
| none      | ``{}``            | ``{tool_call_id}``              | ``{tool_call_id, cancelled}``|
| name      | ``function_name`` | ``+function_name``              | ``+function_name``           |
| arguments | ``function_name`` | ``+function_name, arguments``   | ``+function_name``           |
| full      | ``function_name`` | ``+function_name, arguments``   | ``+function_name, result``   |

At ``full`` the result is sent only when truthy and the call was not cancelled. Only final
results produce ``stopped``.
"""

import enum
from collections.abc import Mapping
from typing import Any, ClassVar, Final, final

import attrs

from rtvi_actors.protocol._fields import FIELDS, DataMode
from rtvi_actors.protocol.converter import JsonObject

__all__ = [
    "FunctionCallReportLevel",
    "LlmFunctionCall",
    "LlmFunctionCallInProgress",
    "LlmFunctionCallStarted",
    "LlmFunctionCallStopped",
    "ReportLevels",
    "function_call_in_progress",
    "function_call_started",
    "function_call_stopped",
]


@final
@attrs.frozen(kw_only=True)
class LlmFunctionCallStarted:
    """``llm-function-call-started``: no ``tool_call_id`` (a known RTVI gap)."""

    TYPE: ClassVar[str] = "llm-function-call-started"
    DATA_MODE: ClassVar[DataMode] = FIELDS
    function_name: str | None = None


@final
@attrs.frozen(kw_only=True)
class LlmFunctionCallInProgress:
    """``llm-function-call-in-progress``: client-side handlers run from this message."""

    TYPE: ClassVar[str] = "llm-function-call-in-progress"
    DATA_MODE: ClassVar[DataMode] = FIELDS
    tool_call_id: str
    function_name: str | None = None
    arguments: JsonObject | None = None


@final
@attrs.frozen(kw_only=True)
class LlmFunctionCallStopped:
    """``llm-function-call-stopped``: the call finished or was cancelled."""

    TYPE: ClassVar[str] = "llm-function-call-stopped"
    DATA_MODE: ClassVar[DataMode] = FIELDS
    tool_call_id: str
    cancelled: bool
    function_name: str | None = None
    result: Any = None


@final
@attrs.frozen(kw_only=True)
class LlmFunctionCall:
    """``llm-function-call`` (deprecated; what 0.x clients execute). Nulls are kept."""

    TYPE: ClassVar[str] = "llm-function-call"
    DATA_MODE: ClassVar[DataMode] = FIELDS
    KEEP_NONE: ClassVar[bool] = True
    function_name: str
    tool_call_id: str
    args: Any = None


class FunctionCallReportLevel(enum.Enum):
    """How much a function-call message may reveal."""

    DISABLED = "disabled"
    NONE = "none"
    NAME = "name"
    ARGUMENTS = "arguments"
    FULL = "full"


_RANK: Final = {level: rank for rank, level in enumerate(FunctionCallReportLevel)}


def _at_least(level: FunctionCallReportLevel, floor: FunctionCallReportLevel) -> bool:
    return _RANK[level] >= _RANK[floor]


def _freeze_levels(
    value: Mapping[str, FunctionCallReportLevel | str],
) -> Mapping[str, FunctionCallReportLevel]:
    return {name: FunctionCallReportLevel(level) for name, level in value.items()}


@final
@attrs.frozen(kw_only=True)
class ReportLevels:
    """Per-function report levels; ``"*"`` is the default for unlisted functions.

    Lookup: the exact name, then ``"*"``, then ``none``. Values may be given as strings.
    """

    levels: Mapping[str, FunctionCallReportLevel] = attrs.field(
        factory=lambda: {"*": FunctionCallReportLevel.NONE}, converter=_freeze_levels
    )

    def level_for(self, function_name: str | None) -> FunctionCallReportLevel:
        """Return the level that applies to a function.

        Args:
            function_name: The function's name (``None`` when unknown).

        Returns:
            The exact entry, else the ``"*"`` entry, else ``NONE``.
        """
        if function_name is not None and function_name in self.levels:
            return self.levels[function_name]
        return self.levels.get("*", FunctionCallReportLevel.NONE)


def function_call_started(
    levels: ReportLevels, function_name: str
) -> LlmFunctionCallStarted | None:
    """Build ``llm-function-call-started`` for one call, or ``None`` when disabled.

    Args:
        levels: The report policy.
        function_name: The function the LLM called.

    Returns:
        The message to send, or ``None``.
    """
    level = levels.level_for(function_name)
    if level is FunctionCallReportLevel.DISABLED:
        return None
    named = _at_least(level, FunctionCallReportLevel.NAME)
    return LlmFunctionCallStarted(function_name=function_name if named else None)


def function_call_in_progress(
    levels: ReportLevels, function_name: str, tool_call_id: str, arguments: JsonObject
) -> LlmFunctionCallInProgress | None:
    """Build ``llm-function-call-in-progress``, or ``None`` when disabled.

    Args:
        levels: The report policy.
        function_name: The function the LLM called.
        tool_call_id: The call's id.
        arguments: The call's arguments.

    Returns:
        The message to send, or ``None``.
    """
    level = levels.level_for(function_name)
    if level is FunctionCallReportLevel.DISABLED:
        return None
    return LlmFunctionCallInProgress(
        tool_call_id=tool_call_id,
        function_name=function_name if _at_least(level, FunctionCallReportLevel.NAME) else None,
        arguments=arguments if _at_least(level, FunctionCallReportLevel.ARGUMENTS) else None,
    )


def function_call_stopped(
    levels: ReportLevels,
    function_name: str,
    tool_call_id: str,
    *,
    cancelled: bool,
    result: Any = None,
    is_final: bool = True,
) -> LlmFunctionCallStopped | None:
    """Build ``llm-function-call-stopped``, or ``None`` (disabled, or an intermediate result).

    Args:
        levels: The report policy.
        function_name: The function the LLM called.
        tool_call_id: The call's id.
        cancelled: True when the call was cancelled (interruption, timeout).
        result: The function's result.
        is_final: False for an intermediate result, which sends nothing (RTVI 2.2.0).

    Returns:
        The message to send, or ``None``.
    """
    level = levels.level_for(function_name)
    if level is FunctionCallReportLevel.DISABLED or not is_final:
        return None
    full = level is FunctionCallReportLevel.FULL
    return LlmFunctionCallStopped(
        tool_call_id=tool_call_id,
        cancelled=cancelled,
        function_name=function_name if _at_least(level, FunctionCallReportLevel.NAME) else None,
        result=result if full and result and not cancelled else None,
    )
