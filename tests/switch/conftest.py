"""Fixtures for the switch-control tests: real SPAN targets in namespaces each test creates and
removes (see tests/switch/lab.py). Parametrize indirectly to pass options, e.g.
``@pytest.mark.parametrize("ovs_switch", [{"vlan": 100}], indirect=True)``."""
from __future__ import annotations

import pytest

from tests.switch import lab


@pytest.fixture
def ovs_switch(request):
    """Open vSwitch (netdev datapath) + sshd in a control namespace; phone and pbx on its ports."""
    with lab.ovs_switch(**getattr(request, "param", {})) as switch:
        yield switch


@pytest.fixture
def ovs_switch_vlan():
    """The same with the phone and pbx ports in voice VLAN 100 (``tag=100``)."""
    with lab.ovs_switch(vlan=100) as switch:
        yield switch


@pytest.fixture
def tc_switch(request):
    """Linux bridge + tc + sshd in a control namespace; p-mon outside the bridge."""
    with lab.tc_switch(**getattr(request, "param", {})) as switch:
        yield switch
