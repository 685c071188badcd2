import uuid

import pytest
from ckanapi import RemoteCKAN

from connectors.objectstore import ObjectStore
from tests.conftest import stack_setting


@pytest.fixture(scope="session")
def store() -> ObjectStore:
    return ObjectStore.connect(stack_setting("HUB_S3_ENDPOINT"), stack_setting("HUB_S3_ACCESS_KEY"),
                               stack_setting("HUB_S3_SECRET_KEY"), stack_setting("HUB_S3_BUCKET"))


@pytest.fixture(scope="session")
def ckan() -> RemoteCKAN:
    return RemoteCKAN(stack_setting("HUB_CKAN_URL"), apikey=stack_setting("HUB_CKAN_TOKEN"))


@pytest.fixture
def unique() -> str:
    """A suffix that keeps test objects apart from the demo's and from other runs."""
    return uuid.uuid4().hex[:8]
