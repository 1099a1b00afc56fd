"""The S3 Control extension that lists an access point's asynchronous operations (not an AWS
operation): `GET /v20180820/mrap/instances/{name}/operations` for the account in
`x-amz-account-id`.

AWS can only describe an operation whose request token the caller kept; the gateway keeps
every operation, so this answers all of those whose request names the access point, newest
first, each shaped as DescribeMultiRegionAccessPointOperation shapes it. An access point that
was deleted keeps its history, so an unknown name is an empty list, not an error.
"""

from __future__ import annotations

from mrap.api.control import reports
from mrap.operation import OpRequest, OpResponse, XmlValue
from mrap.services import Services


async def list_multi_region_access_point_operations(
    services: Services, req: OpRequest
) -> OpResponse:
    """GET .../mrap/instances/{name}/operations: one `AsyncOperation` per operation."""
    found = services.mraps.operations_of(req.params["AccountId"], req.params["name"])
    listed: list[tuple[str, XmlValue]] = [("AsyncOperation", reports.operation(op)) for op in found]
    return reports.result("ListMultiRegionAccessPointOperationsResult", listed)
