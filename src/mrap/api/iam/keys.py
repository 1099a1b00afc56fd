"""Access keys: CreateAccessKey, ListAccessKeys, UpdateAccessKey, DeleteAccessKey.

Keys belong to a user, or (without `UserName`, called by the root) to the root user. An
Inactive key still exists but authenticates nothing: S3 answers `InvalidAccessKeyId`.
"""

from __future__ import annotations

from mrap import errors
from mrap.api.iam import render
from mrap.api.iam.params import ACCESS_KEY_ID, EXISTING_USER_NAME, STATUS, Params
from mrap.api.iam.skeleton import Parsed
from mrap.api.iam.users import Subject, subject, subject_arn
from mrap.operation import OpRequest, XmlChildren
from mrap.services import Services
from mrap.store.control_records import new_access_key_id, new_secret_access_key

ACCESS_KEYS_PER_USER = 2


def _user_name(found: Subject) -> str | None:
    return found.user.name if found.user is not None else None


def _missing(key_id: str) -> errors.S3Error:
    return errors.NoSuchEntity(f"The Access Key with id {key_id} cannot be found.")


def create_access_key(services: Services, req: OpRequest, p: Params) -> Parsed:
    """CreateAccessKey: a new active key (at most two per user); the only time the secret shows."""
    name = p.text("UserName", EXISTING_USER_NAME)
    p.check()

    def act() -> XmlChildren | None:
        found = subject(services, req, name)
        secret = new_secret_access_key()
        key = services.identities.repo.create_key(
            req.principal.account_id, found.arn, new_access_key_id(), secret, ACCESS_KEYS_PER_USER
        )
        result = [
            ("UserName", _user_name(found)),
            ("AccessKeyId", key.access_key_id),
            ("Status", "Active"),
            ("SecretAccessKey", secret),
            ("CreateDate", render.when(key.created)),
        ]
        return [("AccessKey", result)]

    return subject_arn(req, name, services), act


def list_access_keys(services: Services, req: OpRequest, p: Params) -> Parsed:
    """ListAccessKeys: a user's keys (ids, status, creation), never their secrets."""
    name = p.text("UserName", EXISTING_USER_NAME)
    p.check()

    def act() -> XmlChildren | None:
        found = subject(services, req, name)
        keys = services.identities.repo.keys_of(found.arn)
        page, trailer = render.paginate(p, keys, lambda k: f"{k.created:020.6f}{k.access_key_id}")
        metadata = render.members([render.key_metadata(k, _user_name(found)) for k in page])
        return [("AccessKeyMetadata", metadata), *trailer]

    return subject_arn(req, name, services), act


def update_access_key(services: Services, req: OpRequest, p: Params) -> Parsed:
    """UpdateAccessKey: make a key Active or Inactive."""
    name = p.text("UserName", EXISTING_USER_NAME)
    key_id = p.required("AccessKeyId", ACCESS_KEY_ID)
    status = p.required("Status", STATUS)
    p.check()
    if status == "Expired":
        raise errors.InvalidInput("Status Expired is not valid for an access key.")

    def act() -> XmlChildren | None:
        found = subject(services, req, name)
        if not services.control.set_access_key_status(key_id, found.arn, status == "Active"):
            raise _missing(key_id)
        return None

    return subject_arn(req, name, services), act


def delete_access_key(services: Services, req: OpRequest, p: Params) -> Parsed:
    """DeleteAccessKey: the key stops authenticating at once."""
    name = p.text("UserName", EXISTING_USER_NAME)
    key_id = p.required("AccessKeyId", ACCESS_KEY_ID)
    p.check()

    def act() -> XmlChildren | None:
        found = subject(services, req, name)
        if not services.control.delete_access_key(key_id, found.arn):
            raise _missing(key_id)
        return None

    return subject_arn(req, name, services), act
