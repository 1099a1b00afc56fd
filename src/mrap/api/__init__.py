"""One handler per AWS operation, grouped by API (s3, control, iam, sts).

Handlers receive a request the edge has resolved, authenticated and routed; they import
downward only: authz, routing, replication, storage, store.
"""
