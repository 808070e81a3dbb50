"""The central service over HTTPS, its certificate signed by an authority of the call
centre's own (``trustme``): the desk trusts it only through ``[server] ca_file``, and a desk
that does not trust it says so (the certificate, and the setting), not just "cannot reach"."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
import support
import trustme
from served import Central

from console.client.api import CentralApi, Unreachable
from console.client.cache import LocalCache
from console.client.store import Store
from console.client.tls import TrustError, trust
from console.config import ConfigError, load_config
from console.server.db import Database


@pytest.fixture(scope="module")
def authority(tmp_path_factory: pytest.TempPathFactory) -> tuple[trustme.CA, Path]:
    ca = trustme.CA(organization_name="Upravna enota, interni izdajatelj")
    path = tmp_path_factory.mktemp("ca") / "ca.pem"
    ca.cert_pem.write_to_path(str(path))
    return ca, path


@pytest.fixture(scope="module")
def https_central(
    tmp_path_factory: pytest.TempPathFactory,
    _sqlite_template: Path,
    authority: tuple[trustme.CA, Path],
) -> Iterator[Central]:
    folder = tmp_path_factory.mktemp("https")
    path = folder / "central.db"
    shutil.copyfile(_sqlite_template, path)
    database = Database.open(path)
    support.build_world(database, days=2, slots_per_day=4)
    certificate = folder / "server.pem"
    authority[0].issue_cert("127.0.0.1").private_key_and_cert_chain_pem.write_to_path(
        str(certificate)
    )
    central = Central(database, str(path), certificate=certificate)
    central.start()
    try:
        yield central
    finally:
        central.stop()
        database.dispose()


async def test_with_its_authority_in_ca_file_the_desk_works_over_https(
    https_central: Central, authority: tuple[trustme.CA, Path], tmp_path: Path
) -> None:
    assert https_central.url.startswith("https://")
    api = CentralApi(https_central.url, support.TOKENS["agent"], verify=trust(str(authority[1])))
    store = Store(api, LocalCache(tmp_path / "desk.db"))
    try:
        assert await store.sync_once(), store.last_error
        assert (await api.me()).role.value == "agent"
        # The feed's long poll has a connection pool of its own: it trusts the same.
        page = await api.changes(0, limit=5, wait=0.2)
        assert page.changes
    finally:
        await store.aclose()


async def test_without_it_the_desk_says_the_certificate_is_not_trusted_and_names_the_setting(
    https_central: Central, tmp_path: Path
) -> None:
    api = CentralApi(https_central.url, support.TOKENS["agent"], verify=trust(""))
    try:
        with pytest.raises(Unreachable) as refused:
            await api.me()
    finally:
        await api.aclose()
    assert refused.value.certificate is not None
    assert "certificate" in refused.value.certificate
    assert "not trusted" in refused.value.message and "[server] ca_file" in refused.value.message


def test_a_ca_file_that_is_not_there_or_not_a_certificate_is_refused_naming_the_setting(
    tmp_path: Path,
) -> None:
    missing = tmp_path / "nowhere.pem"
    config = tmp_path / "config.toml"
    config.write_text(f'[server]\nca_file = "{missing}"\n', encoding="utf-8")
    with pytest.raises(ConfigError) as refused:
        load_config(config)
    assert "ca_file" in str(refused.value) and "no such file" in str(refused.value)
    garbage = tmp_path / "garbage.pem"
    garbage.write_text("not a certificate\n", encoding="utf-8")
    with pytest.raises(TrustError) as unreadable:
        trust(str(garbage))
    assert "[server] ca_file" in str(unreadable.value)
