"""Reliability and security harnesses for rtvi-actors (not part of the installed package).

Long runs are commands, each with a ``--quick`` mode; the test suite runs small versions of
the same harnesses (``tests/reliability``). See ``docs/reliability.md``.

* ``python -m reliability.fuzz``: Hypothesis-driven RTVI messages and wire frames against a
  live server over loopback.
* ``python -m reliability.storm``: abrupt disconnects of every kind; leaked tasks and memory.
* ``python -m reliability.soak``: N sessions talking for minutes; memory and lateness.
* ``python -m reliability.serve``: the server process the storm and soak measure.

Slow readers, floods, the per-address cap, faults and shutdown are suite tests only.
"""
