"""Listing the datasets of a member's source, one module per API style.

Each module exposes `list_datasets(...) -> Iterator[RemoteDataset]`: CKAN (`ckan`),
Opendatasoft Explore v2.1 (`opendatasoft`), udata / data.gouv.fr API 1 (`udata`), DCAT
catalogues with Hydra paging (`dcat`) and plain file URLs from the configuration (`files`).
Pages are fetched only through `connectors.http`; guards shared by all of them (duplicate
ids, stuck pagers, problems with one dataset) live in `listing`.
"""
