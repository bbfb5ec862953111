"""The sandboxes' wire JSON <-> canonical records, strictly checked."""
