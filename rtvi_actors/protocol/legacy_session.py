"""Dispatch of legacy 0.x requests for a legacy session (pure; used by `state`)."""

from typing import Any

from rtvi_actors.protocol import effects as fx
from rtvi_actors.protocol import legacy_messages as lm
from rtvi_actors.protocol import server_messages as s
from rtvi_actors.protocol.legacy import LegacyRejection, LegacyServices
from rtvi_actors.protocol.outputs import Outgoing, Output

__all__ = ["legacy_request"]


def legacy_request(layer: LegacyServices, rid: str, msg: Any) -> list[Output]:
    """Answer or plan one legacy request; every request gets an answer eventually.

    Args:
        layer: The session's legacy layer.
        rid: The request id.
        msg: ``describe-config``, ``describe-actions``, ``get-config``, ``update-config``
            or ``action``.

    Returns:
        A reply (`Outgoing`) or an effect (`effects.ApplyConfig` / `effects.RunAction`).
    """
    match msg:
        case lm.DescribeConfig():
            return [Outgoing(message=layer.describe_config(), id=rid)]
        case lm.DescribeActions():
            return [Outgoing(message=layer.describe_actions(), id=rid)]
        case lm.GetConfig():
            return [Outgoing(message=layer.get_config(), id=rid)]
        case lm.UpdateConfig():
            plan = layer.plan_update(msg)
            if isinstance(plan, LegacyRejection):
                return [Outgoing(message=s.ErrorResponse(error=plan.error), id=rid)]
            if not plan.steps and not plan.interrupt:
                return [Outgoing(message=layer.commit(plan), id=rid)]
            return [fx.ApplyConfig(plan=plan, request_id=rid)]
        case _:
            action = layer.plan_action(msg)
            if isinstance(action, LegacyRejection):
                return [Outgoing(message=s.ErrorResponse(error=action.error), id=rid)]
            return [fx.RunAction(request_id=rid, plan=action)]
