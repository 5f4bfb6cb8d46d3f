"""Raw ``data`` (server-message and the like): plain JSON is copied as it is, anything else
goes through the converter, and both give what the converter alone gave."""

import attrs

from rtvi_actors import protocol as p
from rtvi_actors.protocol.codec import encode


@attrs.frozen
class Point:
    x: int
    y: int


def test_plain_data_is_copied_not_shared() -> None:
    data = {"a": [1, 2.5, {"b": None, "c": True}], "s": "é"}
    envelope = encode(p.ServerMessage(data=data))
    assert envelope["data"] == data
    data["a"][2]["c"] = False  # the application changes its object after sending
    assert envelope["data"]["a"][2]["c"] is True


def test_non_plain_data_goes_through_the_converter() -> None:
    for data, expected in [
        ({"p": Point(1, 2)}, {"p": {"x": 1, "y": 2}}),
        ([(1, 2)], [[1, 2]]),
        (Point(3, 4), {"x": 3, "y": 4}),
    ]:
        assert encode(p.ServerMessage(data=data))["data"] == expected


def test_deep_plain_data_is_still_encoded() -> None:
    data: object = 1
    for _ in range(20):
        data = {"d": data}
    assert encode(p.ServerMessage(data=data))["data"] == data
