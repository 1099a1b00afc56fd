"""IAM operations by Query `Action` name; each is declared as `iam:{Action}` on its resource."""

from __future__ import annotations

from mrap.api.iam import details, groups, inline, keys, managed, roles, users
from mrap.api.iam.reply import IAM_NAMESPACE
from mrap.api.iam.skeleton import Operation, iam_route
from mrap.operation import Route

__all__ = ["IAM_NAMESPACE", "OPERATIONS"]

_OPERATIONS: dict[str, Operation] = {
    "CreateUser": users.create_user,
    "GetUser": users.get_user,
    "ListUsers": users.list_users,
    "DeleteUser": users.delete_user,
    "ListGroupsForUser": users.list_groups_for_user,
    "CreateAccessKey": keys.create_access_key,
    "ListAccessKeys": keys.list_access_keys,
    "UpdateAccessKey": keys.update_access_key,
    "DeleteAccessKey": keys.delete_access_key,
    "CreateGroup": groups.create_group,
    "GetGroup": groups.get_group,
    "ListGroups": groups.list_groups,
    "DeleteGroup": groups.delete_group,
    "AddUserToGroup": groups.add_user_to_group,
    "RemoveUserFromGroup": groups.remove_user_from_group,
    "CreateRole": roles.create_role,
    "GetRole": roles.get_role,
    "ListRoles": roles.list_roles,
    "DeleteRole": roles.delete_role,
    "PutUserPolicy": inline.put_user_policy,
    "GetUserPolicy": inline.get_user_policy,
    "DeleteUserPolicy": inline.delete_user_policy,
    "ListUserPolicies": inline.list_user_policies,
    "PutGroupPolicy": inline.put_group_policy,
    "GetGroupPolicy": inline.get_group_policy,
    "DeleteGroupPolicy": inline.delete_group_policy,
    "ListGroupPolicies": inline.list_group_policies,
    "PutRolePolicy": inline.put_role_policy,
    "GetRolePolicy": inline.get_role_policy,
    "DeleteRolePolicy": inline.delete_role_policy,
    "ListRolePolicies": inline.list_role_policies,
    "CreatePolicy": managed.create_policy,
    "GetPolicy": managed.get_policy,
    "GetPolicyVersion": managed.get_policy_version,
    "DeletePolicy": managed.delete_policy,
    "ListPolicies": managed.list_policies,
    "AttachUserPolicy": managed.attach_user_policy,
    "DetachUserPolicy": managed.detach_user_policy,
    "ListAttachedUserPolicies": managed.list_attached_user_policies,
    "AttachGroupPolicy": managed.attach_group_policy,
    "DetachGroupPolicy": managed.detach_group_policy,
    "ListAttachedGroupPolicies": managed.list_attached_group_policies,
    "AttachRolePolicy": managed.attach_role_policy,
    "DetachRolePolicy": managed.detach_role_policy,
    "ListAttachedRolePolicies": managed.list_attached_role_policies,
    "GetAccountAuthorizationDetails": details.get_account_authorization_details,
}

OPERATIONS: dict[str, Route] = {name: iam_route(name, op) for name, op in _OPERATIONS.items()}
