"""API budgets: multi-window call budgets per system, server feedback, persistence, call gate."""
