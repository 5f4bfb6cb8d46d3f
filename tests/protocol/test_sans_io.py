"""The protocol package imports and works with trio made unimportable."""

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

SCRIPT = """
import sys
sys.modules["trio"] = None
sys.modules["trio_websocket"] = None
sys.path.insert(0, {root!r})
import rtvi_actors.protocol as p
proto = p.RtviProtocol()
ready = {{"label": "rtvi-ai", "type": "client-ready", "id": "x", "data": {{"version": "2.1.0"}}}}
out = proto.receive(p.decode(ready))
assert out[-1].message.version == "2.2.0"
assert p.parse(p.serialize(p.RtviText(data="{{}}"))) == p.RtviText(data="{{}}")
assert not [n for n, m in sys.modules.items() if m is not None and n.split(".")[0] == "trio"]
print("ok")
"""


@pytest.mark.slow
def test_protocol_imports_without_trio() -> None:
    script = SCRIPT.format(root=str(ROOT))
    done = subprocess.run(
        [sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "ok"
