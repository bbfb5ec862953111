"""Operations: Prometheus metrics, job timing, the budget planner and its history, backups."""
