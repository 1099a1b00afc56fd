"""Replication: bucket replication configuration, the durable queue's workers, statuses."""
