"""Legacy RTVI 0.x services/config/actions: data shapes and messages, both directions.

Removed from Pipecat in 1.0.0; offered here as an opt-in compatibility layer (see `legacy`).
Wire quirks kept on purpose: ``config-available`` lists services under ``name``, ``config``
under ``service``; ``arguments`` is always present in ``actions-available``; an option whose
value is ``null`` is sent without a ``value`` key (Pipecat's ``exclude_none``).
"""

from collections.abc import Awaitable, Callable, Mapping
from typing import Any, ClassVar, Literal, final

import attrs

from rtvi_actors.protocol._fields import EMPTY, FIELDS, WIRE_KEY, DataMode

__all__ = [
    "Action",
    "ActionHandler",
    "ActionResponse",
    "ActionsAvailable",
    "Config",
    "ConfigAvailable",
    "DescribeActions",
    "DescribeConfig",
    "GetConfig",
    "LlmFunctionCallStart",
    "OptionHandler",
    "OptionType",
    "RTVIAction",
    "RTVIActionArgument",
    "RTVIActionRunArgument",
    "RTVIConfig",
    "RTVIService",
    "RTVIServiceConfig",
    "RTVIServiceOption",
    "RTVIServiceOptionConfig",
    "UpdateConfig",
]

OptionType = Literal["bool", "number", "string", "array", "object"]
"""Declared type of an option, action argument or action result."""


@final
@attrs.frozen(kw_only=True)
class RTVIServiceOptionConfig:
    """One option value: ``{name, value}`` (``value`` is required; ``null`` is allowed)."""

    name: str
    value: Any


@final
@attrs.frozen(kw_only=True)
class RTVIServiceConfig:
    """The values of one service: ``{service, options}``."""

    service: str
    options: tuple[RTVIServiceOptionConfig, ...] = ()


@final
@attrs.frozen(kw_only=True)
class RTVIConfig:
    """A whole configuration (the initial config of a legacy session)."""

    config: tuple[RTVIServiceConfig, ...] = ()


OptionHandler = Callable[[str, RTVIServiceOptionConfig], Awaitable[None]]
"""``await handler(service_name, option)``; called by the actor, never by the pure core."""

ActionHandler = Callable[[str, Mapping[str, Any]], Awaitable[Any]]
"""``await handler(service_name, arguments) -> result``; called by the actor."""


@final
@attrs.frozen(kw_only=True)
class RTVIServiceOption:
    """A configurable option. ``type`` is enforced by `legacy.LegacyServices` when asked."""

    name: str
    type: OptionType
    handler: OptionHandler | None = attrs.field(
        default=None, eq=False, repr=False, metadata={WIRE_KEY: None}
    )


@final
@attrs.frozen(kw_only=True)
class RTVIService:
    """A configurable service; on the wire (``config-available``) it is ``{name, options}``."""

    name: str
    options: tuple[RTVIServiceOption, ...] = ()


@final
@attrs.frozen(kw_only=True)
class RTVIActionArgument:
    """A declared action argument: ``{name, type}``."""

    name: str
    type: OptionType


@final
@attrs.frozen(kw_only=True)
class RTVIAction:
    """A server action, matched on ``service:action``."""

    service: str
    action: str
    result: OptionType
    arguments: tuple[RTVIActionArgument, ...] = ()
    handler: ActionHandler | None = attrs.field(
        default=None, eq=False, repr=False, metadata={WIRE_KEY: None}
    )

    @property
    def key(self) -> str:
        """Return the registry key ``"<service>:<action>"``."""
        return f"{self.service}:{self.action}"


@final
@attrs.frozen(kw_only=True)
class RTVIActionRunArgument:
    """An argument value in an ``action`` request: ``{name, value}`` (``value`` required)."""

    name: str
    value: Any


@final
@attrs.frozen(kw_only=True)
class DescribeConfig:
    """``describe-config`` (C→S): list services and options."""

    TYPE: ClassVar[str] = "describe-config"
    DATA_MODE: ClassVar[DataMode] = EMPTY


@final
@attrs.frozen(kw_only=True)
class DescribeActions:
    """``describe-actions`` (C→S): list actions."""

    TYPE: ClassVar[str] = "describe-actions"
    DATA_MODE: ClassVar[DataMode] = EMPTY


@final
@attrs.frozen(kw_only=True)
class GetConfig:
    """``get-config`` (C→S): read the stored config."""

    TYPE: ClassVar[str] = "get-config"
    DATA_MODE: ClassVar[DataMode] = EMPTY


@final
@attrs.frozen(kw_only=True)
class UpdateConfig:
    """``update-config`` (C→S): apply option values, in the client's order."""

    TYPE: ClassVar[str] = "update-config"
    DATA_MODE: ClassVar[DataMode] = FIELDS
    config: tuple[RTVIServiceConfig, ...]
    interrupt: bool = False


@final
@attrs.frozen(kw_only=True)
class Action:
    """``action`` (C→S): run ``service:action`` with ``[{name, value}]`` arguments."""

    TYPE: ClassVar[str] = "action"
    DATA_MODE: ClassVar[DataMode] = FIELDS
    service: str
    action: str
    arguments: tuple[RTVIActionRunArgument, ...] | None = None


@final
@attrs.frozen(kw_only=True)
class ConfigAvailable:
    """``config-available`` (S→C): answers ``describe-config``."""

    TYPE: ClassVar[str] = "config-available"
    DATA_MODE: ClassVar[DataMode] = FIELDS
    config: tuple[RTVIService, ...] = ()


@final
@attrs.frozen(kw_only=True)
class ActionsAvailable:
    """``actions-available`` (S→C): answers ``describe-actions``."""

    TYPE: ClassVar[str] = "actions-available"
    DATA_MODE: ClassVar[DataMode] = FIELDS
    actions: tuple[RTVIAction, ...] = ()


@final
@attrs.frozen(kw_only=True)
class Config:
    """``config`` (S→C): answers ``get-config`` and ``update-config`` with the whole config."""

    TYPE: ClassVar[str] = "config"
    DATA_MODE: ClassVar[DataMode] = FIELDS
    config: tuple[RTVIServiceConfig, ...] = ()


@final
@attrs.frozen(kw_only=True)
class ActionResponse:
    """``action-response`` (S→C): the action's result (never ``null``)."""

    TYPE: ClassVar[str] = "action-response"
    DATA_MODE: ClassVar[DataMode] = FIELDS
    result: Any


@final
@attrs.frozen(kw_only=True)
class LlmFunctionCallStart:
    """``llm-function-call-start`` (S→C, 0.x): the LLM began a tool call. Nulls are kept."""

    TYPE: ClassVar[str] = "llm-function-call-start"
    DATA_MODE: ClassVar[DataMode] = FIELDS
    KEEP_NONE: ClassVar[bool] = True
    function_name: str | None
