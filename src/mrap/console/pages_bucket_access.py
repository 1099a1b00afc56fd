"""A bucket's Permissions tab (Block Public Access, bucket policy, Requester Pays) and the
account's Block Public Access page."""

from __future__ import annotations

from typing import Any

from aiohttp import web

from mrap.console.calls import PUBLIC_ACCESS_BLOCK, Calls, pretty_policy
from mrap.console.calls_access import (
    delete_bucket_policy,
    get_account_public_access_block,
    get_bucket_policy,
    get_bucket_policy_status,
    get_bucket_public_access_block,
    get_bucket_request_payment,
    put_account_public_access_block,
    put_bucket_policy,
    put_bucket_public_access_block,
    put_bucket_request_payment,
)
from mrap.console.client import ApiError
from mrap.console.policy_builder import (
    BUCKET_ACTIONS,
    EFFECTS,
    add_statement,
    statement_from_form,
)
from mrap.console.web import calls, page_url, redirect, render

_PAYERS = ("BucketOwner", "Requester")


async def _optional(call: Any) -> tuple[Any, ApiError | None]:
    """A read the page can do without: its value, or the error to show in its place."""
    try:
        return await call, None
    except ApiError as exc:
        return None, exc


async def permissions_values(api: Calls, bucket: str) -> dict[str, Any]:
    """What the bucket's Permissions tab shows; a setting the caller may not read shows why."""
    block, block_error = await _optional(get_bucket_public_access_block(api, bucket))
    account_block, account_error = await _optional(get_account_public_access_block(api))
    policy, policy_error = await _optional(get_bucket_policy(api, bucket))
    public, _ = await _optional(get_bucket_policy_status(api, bucket))
    payer, payer_error = await _optional(get_bucket_request_payment(api, bucket))
    return {
        "settings": PUBLIC_ACCESS_BLOCK,
        "block": block,
        "block_error": block_error,
        "account_block": account_block,
        "account_error": account_error,
        "policy": pretty_policy(policy) if policy else "",
        "policy_error": policy_error,
        "public": bool(public),
        "payer": payer,
        "payer_error": payer_error,
    }


def _checked(form: Any) -> dict[str, bool]:
    return {setting: setting in form for setting in PUBLIC_ACCESS_BLOCK}


def _permissions(bucket: str, message: str) -> web.Response:
    return redirect(page_url("buckets", bucket, tab="permissions", message=message))


async def put_block(request: web.Request) -> web.StreamResponse:
    """PutPublicAccessBlock of the bucket from the tab's checkboxes."""
    bucket = request.match_info["bucket"]
    await put_bucket_public_access_block(calls(request), bucket, _checked(await request.post()))
    return _permissions(bucket, "Block Public Access settings saved.")


async def put_payer(request: web.Request) -> web.StreamResponse:
    """PutBucketRequestPayment."""
    bucket = request.match_info["bucket"]
    payer = str((await request.post()).get("payer", ""))
    if payer not in _PAYERS:
        raise ApiError("MalformedXML", "Choose BucketOwner or Requester.", 400)
    await put_bucket_request_payment(calls(request), bucket, payer)
    return _permissions(bucket, f"Requester Pays {'on' if payer == 'Requester' else 'off'}.")


async def _policy_form(
    request: web.Request, text: str | None, status: int = 200, error: ApiError | None = None
) -> web.Response:
    bucket = request.match_info["bucket"]
    api = calls(request)
    if text is None:
        text = pretty_policy(await get_bucket_policy(api, bucket))
    arn = f"arn:aws:s3:::{bucket}"
    return render(
        request,
        "bucket_policy.html",
        status=status,
        bucket=bucket,
        arn=arn,
        text=text,
        error=error,
        effects=EFFECTS,
        actions=BUCKET_ACTIONS,
        resources=f"{arn}\n{arn}/*",
    )


async def policy_page(request: web.Request) -> web.StreamResponse:
    """The bucket policy editor."""
    return await _policy_form(request, None)


async def put_policy(request: web.Request) -> web.StreamResponse:
    """PutBucketPolicy (DeleteBucketPolicy for an empty text); errors above the editor."""
    bucket = request.match_info["bucket"]
    text = str((await request.post()).get("policy", ""))
    api = calls(request)
    try:
        if text.strip():
            await put_bucket_policy(api, bucket, text)
        else:
            await delete_bucket_policy(api, bucket)
    except ApiError as exc:
        return await _policy_form(request, text, exc.status, exc)
    return _permissions(
        bucket, "Bucket policy saved." if text.strip() else "Bucket policy deleted."
    )


async def add_policy_statement(request: web.Request) -> web.StreamResponse:
    """Add statement: the editor again with the statement merged in (unsaved)."""
    form = await request.post()
    text = str(form.get("policy", ""))
    statement = statement_from_form(form)
    try:
        merged = add_statement(text, statement, BUCKET_ACTIONS)
    except ApiError as exc:
        return await _policy_form(request, text, exc.status, exc)
    return await _policy_form(request, merged)


async def account_page(request: web.Request) -> web.StreamResponse:
    """The account's Block Public Access settings (S3 Control GetPublicAccessBlock)."""
    block = await get_account_public_access_block(calls(request))
    return render(
        request,
        "account_block.html",
        block=block,
        settings=PUBLIC_ACCESS_BLOCK,
        message=request.query.get("message", ""),
    )


async def put_account(request: web.Request) -> web.StreamResponse:
    """S3 Control PutPublicAccessBlock of the account."""
    await put_account_public_access_block(calls(request), _checked(await request.post()))
    return redirect(
        page_url("account", "public-access-block", message="Block Public Access settings saved.")
    )


def add_routes(router: web.UrlDispatcher) -> None:
    """Register the pages of this module."""
    router.add_post("/buckets/{bucket}/public-access-block", put_block)
    router.add_post("/buckets/{bucket}/request-payment", put_payer)
    router.add_get("/buckets/{bucket}/policy", policy_page)
    router.add_post("/buckets/{bucket}/policy", put_policy)
    router.add_post("/buckets/{bucket}/policy/statement", add_policy_statement)
    router.add_get("/account/public-access-block", account_page)
    router.add_post("/account/public-access-block", put_account)
