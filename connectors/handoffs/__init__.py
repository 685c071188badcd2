"""The hand-offs between the hub's stages: where each stage leaves its work in the bucket
(`layout`) and the typed records it leaves there, each read and written through any
`Bucket` (the minio store or the in-memory one).

Stages import their keys and records from here, never from one another, so a stage can be
changed, or run alone on a `MemoryObjectStore`, without the others. It lives in
`connectors` because landing, the lowest layer, writes raw keys and landing records too.
The stored formats are those the stages always wrote: a record read and written back is
the same bytes.
"""

from connectors.handoffs import layout
from connectors.handoffs.bucket import Bucket
from connectors.handoffs.gathered import DatasetEntry, Failure, Landing, Manifest, Status
from connectors.handoffs.pooled import Downloads, MemberPart, PooledState
from connectors.handoffs.staged import Decision, StagedReport

__all__ = ["Bucket", "DatasetEntry", "Decision", "Downloads", "Failure", "Landing", "Manifest", "MemberPart",
           "PooledState", "StagedReport", "Status", "layout"]
