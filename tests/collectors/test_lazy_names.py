"""The packages whose modules load on first use (collectors.fingerprint's LLDP, CDP and DHCP readers,
collectors.tls' handshake and certificate readers) still give every name they list, the modules' own."""
from __future__ import annotations

import importlib

import pytest

import collectors.fingerprint as fingerprint
import collectors.tls as tls


@pytest.mark.parametrize("package, where", [(fingerprint, fingerprint.LAZY), (tls, tls.WHERE)])
def test_every_lazy_name_is_the_modules_own(package, where):
    for name, module in where.items():
        assert getattr(package, name) is getattr(importlib.import_module(f"{package.__name__}.{module}"), name)
    for name in package.__all__:
        assert getattr(package, name) is not None
    with pytest.raises(AttributeError):
        package.no_such_name


def test_the_parsers_the_pipeline_imports_are_the_modules():
    from collectors.fingerprint import cdp, dhcp, lldp
    frame = bytes(64)
    assert fingerprint.parse_cdp_frame(frame) == cdp.parse_cdp_frame(frame)
    assert fingerprint.parse_lldp_frame(frame) == lldp.parse_lldp_frame(frame)
    assert fingerprint.parse_dhcp(frame) == dhcp.parse_dhcp(frame)
