"""The daemon: one long-running process that runs the connections' jobs within their budgets."""
