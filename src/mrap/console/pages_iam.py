"""IAM: users (with access keys and groups), groups (with members) and roles, each with inline
and attached managed policies. An error is IAM's own, shown by the guard's error page."""

from __future__ import annotations

import asyncio
import json
from typing import Any

from aiohttp import web

from mrap.console.calls import pretty_policy
from mrap.console.calls_iam import (
    KINDS,
    Kind,
    access_keys,
    attach_policy,
    attached_policies,
    create_access_key,
    create_entity,
    delete_access_key,
    delete_entity,
    delete_inline_policy,
    get_entity,
    group_members,
    groups_for_user,
    inline_policies,
    list_entities,
    managed_policies,
    put_inline_policy,
    set_membership,
)
from mrap.console.web import calls, page_url, redirect, render, session


def _kind(request: web.Request) -> tuple[str, Kind]:
    kinds = request.match_info["kinds"]
    if kinds not in KINDS:
        raise web.HTTPNotFound()
    return kinds, KINDS[kinds]


def trust_template(account: str) -> str:
    """A role's starting trust policy: principals of this account may assume it."""
    statement = {
        "Effect": "Allow",
        "Principal": {"AWS": f"arn:aws:iam::{account}:root"},
        "Action": "sts:AssumeRole",
    }
    return json.dumps({"Version": "2012-10-17", "Statement": [statement]}, indent=2)


async def list_page(request: web.Request) -> web.StreamResponse:
    """ListUsers, ListGroups or ListRoles, with the create form."""
    kinds, kind = _kind(request)
    entities = await list_entities(calls(request), kind)
    return render(
        request,
        "iam_list.html",
        kinds=kinds,
        kind=kind,
        entities=entities,
        trust=trust_template(session(request).account),
    )


async def create(request: web.Request) -> web.StreamResponse:
    """CreateUser, CreateGroup or CreateRole."""
    kinds, kind = _kind(request)
    form = await request.post()
    name = str(form.get("name", "")).strip()
    await create_entity(calls(request), kind, name, str(form.get("trust", "")))
    return redirect(page_url("iam", kinds, name))


async def detail_page(request: web.Request, new_key: tuple[str, str] | None = None) -> web.Response:
    """One user, group or role: its policies, and a user's keys and groups or a group's
    members."""
    kinds, kind = _kind(request)
    name = request.match_info["name"]
    api = calls(request)
    entity = await get_entity(api, kind, name)
    inline, attached, managed = await asyncio.gather(
        inline_policies(api, kind, name), attached_policies(api, kind, name), managed_policies(api)
    )
    values: dict[str, Any] = {}
    if kind == "User":
        keys, groups, all_groups = await asyncio.gather(
            access_keys(api, name), groups_for_user(api, name), list_entities(api, "Group")
        )
        values = {"keys": keys, "groups": groups, "all_groups": [g.name for g in all_groups]}
    elif kind == "Group":
        values = {"members": await group_members(api, name)}
    return render(
        request,
        "iam_detail.html",
        kinds=kinds,
        kind=kind,
        entity=entity,
        inline=[(p, pretty_policy(doc)) for p, doc in inline],
        attached=attached,
        managed=[m for m in managed if m[1] not in {a[1] for a in attached}],
        new_key=new_key,
        message=request.query.get("message", ""),
        **values,
    )


async def show(request: web.Request) -> web.StreamResponse:
    """The detail page."""
    return await detail_page(request)


def _back(request: web.Request, message: str) -> web.Response:
    return redirect(
        page_url("iam", request.match_info["kinds"], request.match_info["name"], message=message)
    )


async def delete(request: web.Request) -> web.StreamResponse:
    """DeleteUser, DeleteGroup or DeleteRole."""
    kinds, kind = _kind(request)
    await delete_entity(calls(request), kind, request.match_info["name"])
    return redirect(page_url("iam", kinds))


async def put_inline(request: web.Request) -> web.StreamResponse:
    """Put{Kind}Policy."""
    _, kind = _kind(request)
    form = await request.post()
    policy = str(form.get("policy_name", "")).strip()
    document = str(form.get("document", ""))
    await put_inline_policy(calls(request), kind, request.match_info["name"], policy, document)
    return _back(request, f"Inline policy {policy} saved.")


async def remove_inline(request: web.Request) -> web.StreamResponse:
    """Delete{Kind}Policy."""
    _, kind = _kind(request)
    policy = str((await request.post()).get("policy_name", ""))
    await delete_inline_policy(calls(request), kind, request.match_info["name"], policy)
    return _back(request, f"Inline policy {policy} deleted.")


async def attach(request: web.Request) -> web.StreamResponse:
    """Attach{Kind}Policy or Detach{Kind}Policy."""
    _, kind = _kind(request)
    form = await request.post()
    arn = str(form.get("arn", ""))
    on = form.get("attach") == "on"
    await attach_policy(calls(request), kind, request.match_info["name"], arn, on)
    return _back(request, f"{'Attached' if on else 'Detached'} {arn}.")


async def new_access_key(request: web.Request) -> web.StreamResponse:
    """CreateAccessKey: the secret is in this one page and nowhere else."""
    _kind(request)
    key = await create_access_key(calls(request), request.match_info["name"])
    return await detail_page(request, key)


async def remove_access_key(request: web.Request) -> web.StreamResponse:
    """DeleteAccessKey."""
    key_id = str((await request.post()).get("key_id", ""))
    await delete_access_key(calls(request), request.match_info["name"], key_id)
    return _back(request, f"Access key {key_id} deleted.")


async def membership(request: web.Request) -> web.StreamResponse:
    """AddUserToGroup or RemoveUserFromGroup."""
    form = await request.post()
    group = str(form.get("group", ""))
    member = form.get("member") == "on"
    await set_membership(calls(request), request.match_info["name"], group, member)
    return _back(request, f"{'Added to' if member else 'Removed from'} group {group}.")


def add_routes(router: web.UrlDispatcher) -> None:
    """Register the pages of this module."""
    router.add_get("/iam/{kinds}", list_page)
    router.add_post("/iam/{kinds}", create)
    router.add_get("/iam/{kinds}/{name}", show)
    router.add_post("/iam/{kinds}/{name}/delete", delete)
    router.add_post("/iam/{kinds}/{name}/inline", put_inline)
    router.add_post("/iam/{kinds}/{name}/inline/delete", remove_inline)
    router.add_post("/iam/{kinds}/{name}/attach", attach)
    router.add_post("/iam/{kinds:users}/{name}/keys", new_access_key)
    router.add_post("/iam/{kinds:users}/{name}/keys/delete", remove_access_key)
    router.add_post("/iam/{kinds:users}/{name}/groups", membership)
