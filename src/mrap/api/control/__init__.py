"""S3 Control operations: Multi-Region Access Points, asynchronous operations, routes, and
account-level Block Public Access."""
