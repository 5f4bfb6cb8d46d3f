"""Framework-overhead benchmarks: rtvi-actors vs Pipecat 1.14 on the same workload.

``python -m benchmarks.run`` runs both frameworks back to back (see docs/benchmarks.md).
"""
