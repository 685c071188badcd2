"""Member sources: pure Python listing and fetching, no Dagster.

Every connector lists a member's datasets as `RemoteDataset` records and fetches their
resources through `connectors.http`, the one module that talks to the outside world.
"""
