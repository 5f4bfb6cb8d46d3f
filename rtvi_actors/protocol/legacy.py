"""The legacy 0.x services/config/actions layer, pure: it validates and plans, never awaits.

`LegacyServices` holds the registered services and actions and the stored config. The trio
actor calls the async handlers named in a `ConfigPlan` / `ActionPlan`, then reports back
(through `state.RtviProtocol`). Deliberate improvements over Pipecat 0.x:

- ``update-config`` is validated *entirely* before anything is applied (unknown service,
  unknown option, or, with ``check_option_types``, a value of the wrong declared type):
  one failure means nothing is applied.
- Values are stored for every registered service, even one missing from the initial config.
- A ``None`` action result is normalised to ``true``; handler failures become
  ``error-response`` (see `RtviProtocol.action_failed`), so every request is answered.
- Action arguments stay lenient, as in Pipecat: no type checks, extras passed through.
"""

from collections.abc import Iterable, Mapping, Sequence
from typing import Any, final

import attrs

from rtvi_actors.protocol.legacy_messages import (
    Action,
    ActionHandler,
    ActionResponse,
    ActionsAvailable,
    Config,
    ConfigAvailable,
    OptionHandler,
    OptionType,
    RTVIAction,
    RTVIConfig,
    RTVIService,
    RTVIServiceConfig,
    RTVIServiceOptionConfig,
    UpdateConfig,
)

__all__ = ["ActionPlan", "ConfigPlan", "LegacyRejection", "LegacyServices", "OptionStep"]


@final
@attrs.frozen(kw_only=True)
class OptionStep:
    """Call ``handler(service, option)`` (if any), then the value is stored."""

    service: str
    option: RTVIServiceOptionConfig
    handler: OptionHandler | None = attrs.field(default=None, eq=False, repr=False)


@final
@attrs.frozen(kw_only=True)
class ConfigPlan:
    """A validated config update: interrupt first if asked, then run the steps in order."""

    steps: tuple[OptionStep, ...] = ()
    interrupt: bool = False


@final
@attrs.frozen(kw_only=True)
class ActionPlan:
    """A validated action: ``await handler(action.service, arguments)``."""

    action: RTVIAction
    arguments: Mapping[str, Any] = attrs.field(factory=dict)

    @property
    def handler(self) -> ActionHandler | None:
        """Return the registered handler (``None`` means "answer ``true``")."""
        return self.action.handler


@final
@attrs.frozen(kw_only=True)
class LegacyRejection:
    """A legacy request that must be answered with ``error-response``."""

    error: str


def _type_matches(declared: OptionType, value: object) -> bool:
    if value is None:
        return True
    if declared == "bool":
        return isinstance(value, bool)
    if declared == "number":
        return isinstance(value, int | float) and not isinstance(value, bool)
    if declared == "string":
        return isinstance(value, str)
    if declared == "array":
        return isinstance(value, list | tuple)
    return isinstance(value, dict)


class LegacyServices:
    """Registry and stored config of the 0.x compatibility layer (mutable, pure)."""

    def __init__(
        self,
        *,
        services: Iterable[RTVIService] = (),
        actions: Iterable[RTVIAction] = (),
        initial_config: RTVIConfig | Sequence[RTVIServiceConfig] = (),
        check_option_types: bool = True,
    ) -> None:
        """Create the layer.

        Args:
            services: Services clients may configure (re-registering a name replaces it).
            actions: Actions clients may run, keyed by ``service:action``.
            initial_config: Applied (handlers run) before ``bot-ready`` of a legacy session.
            check_option_types: Reject option values that do not match the declared type.

        Raises:
            ValueError: The initial config names an unknown service or option.
        """
        self._services: dict[str, RTVIService] = {}
        self._actions: dict[str, RTVIAction] = {}
        self._check_types = check_option_types
        for service in services:
            self.register_service(service)
        for action in actions:
            self.register_action(action)
        config = initial_config.config if isinstance(initial_config, RTVIConfig) else initial_config
        self._initial = tuple(config)
        plan = self.plan_update(UpdateConfig(config=self._initial))
        if isinstance(plan, LegacyRejection):
            raise ValueError(f"invalid initial config: {plan.error}")
        self._stored: list[RTVIServiceConfig] = []
        self.commit(plan)

    def register_service(self, service: RTVIService) -> None:
        """Register (or replace) a configurable service.

        Args:
            service: The service and its options.
        """
        self._services[service.name] = service

    def register_action(self, action: RTVIAction) -> None:
        """Register (or replace) an action.

        Args:
            action: The action; its ``service`` need not be a registered service.
        """
        self._actions[action.key] = action

    @property
    def stored_config(self) -> tuple[RTVIServiceConfig, ...]:
        """Return the current config, as ``get-config`` and legacy ``bot-ready`` report it."""
        return tuple(self._stored)

    def initial_plan(self) -> ConfigPlan | None:
        """Return the plan that applies the initial config, or ``None`` when it is empty."""
        if not self._initial:
            return None
        plan = self.plan_update(UpdateConfig(config=self._initial))
        return plan if isinstance(plan, ConfigPlan) else None

    def describe_config(self) -> ConfigAvailable:
        """Answer ``describe-config``: every service, in registration order."""
        return ConfigAvailable(config=tuple(self._services.values()))

    def describe_actions(self) -> ActionsAvailable:
        """Answer ``describe-actions``: every action, in registration order."""
        return ActionsAvailable(actions=tuple(self._actions.values()))

    def get_config(self) -> Config:
        """Answer ``get-config`` with the stored config."""
        return Config(config=self.stored_config)

    def plan_update(self, update: UpdateConfig) -> ConfigPlan | LegacyRejection:
        """Validate a whole ``update-config`` and plan its handler calls, applying nothing.

        Args:
            update: The request (options are applied in the client's order).

        Returns:
            The plan, or a rejection naming the first problem.
        """
        steps = []
        for entry in update.config:
            service = self._services.get(entry.service)
            if service is None:
                return LegacyRejection(error=f"Unknown service '{entry.service}'")
            declared = {option.name: option for option in service.options}
            for value in entry.options:
                option = declared.get(value.name)
                if option is None:
                    return LegacyRejection(
                        error=f"Unknown option '{value.name}' for service '{entry.service}'"
                    )
                if self._check_types and not _type_matches(option.type, value.value):
                    return LegacyRejection(
                        error=f"Option '{entry.service}.{value.name}' expects {option.type}"
                    )
                step = OptionStep(service=entry.service, option=value, handler=option.handler)
                steps.append(step)
        return ConfigPlan(steps=tuple(steps), interrupt=update.interrupt)

    def commit(self, plan: ConfigPlan) -> Config:
        """Store the values of a plan whose handlers all succeeded.

        Args:
            plan: A plan from `plan_update`.

        Returns:
            The ``config`` reply: the whole stored config.
        """
        for step in plan.steps:
            index = next((i for i, s in enumerate(self._stored) if s.service == step.service), None)
            if index is None:
                entry = RTVIServiceConfig(service=step.service, options=(step.option,))
                self._stored.append(entry)
                continue
            current = self._stored[index]
            options = [o for o in current.options if o.name != step.option.name]
            if len(options) == len(current.options):
                options = [*current.options, step.option]
            else:
                new = step.option
                options = [new if o.name == new.name else o for o in current.options]
            self._stored[index] = RTVIServiceConfig(service=step.service, options=tuple(options))
        return self.get_config()

    def plan_action(self, request: Action) -> ActionPlan | LegacyRejection:
        """Look up an action and build its arguments (duplicates: the last one wins).

        Args:
            request: The ``action`` request.

        Returns:
            The plan, or ``Action <service>:<action> not registered``.
        """
        action = self._actions.get(f"{request.service}:{request.action}")
        if action is None:
            key = f"{request.service}:{request.action}"
            return LegacyRejection(error=f"Action {key} not registered")
        arguments = {arg.name: arg.value for arg in request.arguments or ()}
        return ActionPlan(action=action, arguments=arguments)

    @staticmethod
    def action_response(result: Any) -> ActionResponse:
        """Wrap a handler's result; ``None`` becomes ``true`` so the reply is never null.

        Args:
            result: What the handler returned.

        Returns:
            The ``action-response`` payload.
        """
        return ActionResponse(result=True if result is None else result)
