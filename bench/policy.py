"""Policy engine cost: one decision with a 20-statement bucket policy and a user policy.

Prints the CPU time per evaluation (best of several rounds), to compare with the ~100 µs a
small GET costs; the target is under 5 % of that.

    python bench/policy.py
"""

from __future__ import annotations

import json
import time

from mrap.iam import Caller, PolicyKind, RequestContext, evaluate, parse_policy

ACCOUNT = "111122223333"
OTHER = "444455556666"
BUCKET = "arn:aws:s3:::doc-bucket"


def _statement(
    action: str, resource: str, principal: object, condition: object
) -> dict[str, object]:
    return {
        "Effect": "Allow",
        "Principal": principal,
        "Action": action,
        "Resource": resource,
        "Condition": condition,
    }


def main() -> None:
    names = ["Object", "ObjectAcl", "ObjectTagging", "BucketPolicy"] * 5
    statements = [
        _statement(
            f"s3:Get{name}",
            f"arn:aws:s3:::bucket-{i}/*",
            {"AWS": f"arn:aws:iam::{OTHER}:user/u{i}"},
            {"IpAddress": {"aws:SourceIp": "10.0.0.0/8"}},
        )
        for i, name in enumerate(names)
    ]
    statements[7] = _statement(
        "s3:GetObject", BUCKET + "/*", "*", {"Bool": {"aws:SecureTransport": "true"}}
    )
    bucket = parse_policy(
        json.dumps({"Version": "2012-10-17", "Statement": statements}), PolicyKind.BUCKET
    )
    user = parse_policy(
        json.dumps(
            {
                "Version": "2012-10-17",
                "Statement": [
                    {
                        "Effect": "Allow",
                        "Action": ["s3:GetObject", "s3:ListBucket"],
                        "Resource": [BUCKET, BUCKET + "/*"],
                    }
                ],
            }
        ),
        PolicyKind.IDENTITY,
    )
    alice = Caller.user(ACCOUNT, "alice", "AIDAALICEEXAMPLE")
    keys = {"aws:SecureTransport": "true", "aws:SourceIp": "10.1.2.3"}
    best = float("inf")
    for _ in range(10):
        start = time.process_time()
        for _ in range(2000):
            decision = evaluate(
                RequestContext(alice, "s3:GetObject", BUCKET + "/key", ACCOUNT, keys),
                [user],
                bucket,
            )
        best = min(best, (time.process_time() - start) / 2000)
    assert decision.allowed
    print(f"20-statement bucket policy + user policy: {best * 1e6:.1f} µs per decision")


if __name__ == "__main__":
    main()
