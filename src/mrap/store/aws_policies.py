"""The AWS managed policies the gateway offers, with AWS's own documents, ids and versions.

They are fixed data, not rows: every account may attach them, nobody may change or delete them.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime

from mrap.store.iam_tables import ManagedPolicy


def _when(text: str) -> float:
    return datetime.strptime(text, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC).timestamp()


def _policy(
    name: str, policy_id: str, version: str, description: str, statement: dict[str, object],
    created: str, updated: str,
) -> ManagedPolicy:  # fmt: skip
    document = json.dumps({"Version": "2012-10-17", "Statement": [statement]}, indent=4)
    return ManagedPolicy(
        arn=f"arn:aws:iam::aws:policy/{name}",
        account_id="aws",
        name=name,
        policy_id=policy_id,
        path="/",
        description=description,
        document=document,
        created=_when(created),
        updated=_when(updated),
        version_id=version,
    )


AWS_MANAGED: dict[str, ManagedPolicy] = {
    p.arn: p
    for p in (
        _policy(
            "AdministratorAccess",
            "ANPAIWMBCKSKIEE64ZLYK",
            "v1",
            "Provides full access to AWS services and resources.",
            {"Effect": "Allow", "Action": "*", "Resource": "*"},
            "2015-02-06T18:39:46Z",
            "2015-02-06T18:39:46Z",
        ),
        _policy(
            "AmazonS3FullAccess",
            "ANPAIFIR6V6BVTRAHWINE",
            "v2",
            "Provides full access to all buckets via the AWS Management Console.",
            {"Effect": "Allow", "Action": ["s3:*", "s3-object-lambda:*"], "Resource": "*"},
            "2015-02-06T18:40:58Z",
            "2021-09-27T20:16:37Z",
        ),
        _policy(
            "AmazonS3ReadOnlyAccess",
            "ANPAIZTJ4DXE7G6AGAE6M",
            "v3",
            "Provides read only access to all buckets via the AWS Management Console.",
            {
                "Effect": "Allow",
                "Action": [
                    "s3:Get*",
                    "s3:List*",
                    "s3:Describe*",
                    "s3-object-lambda:Get*",
                    "s3-object-lambda:List*",
                ],
                "Resource": "*",
            },
            "2015-02-06T18:40:59Z",
            "2023-08-10T21:31:39Z",
        ),
    )
}
"""AWS managed policies by ARN."""
