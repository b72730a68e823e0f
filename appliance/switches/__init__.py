"""Switch SPAN control (issue 6): the appliance sets up, reads back and removes its own mirror
session on a managed switch over SSH (Netmiko), then checks on the wire that the mirror delivers.

    session = MirrorSession.build(["Gi1/0/5:both"], ["100:rx"], "Gi1/0/48")
    driver = drivers.for_device_type("cisco_ios")
    print(driver.plan(session).text())                 # no connection
    with connect(switch, driver) as conn:                # appliance.switches.connection
        observed = operations.apply(conn, driver, session, recorded=None)

Modules: model (the one session model every platform renders from and parses into), drivers/ (one
thin class per Netmiko device_type), connection (credentials from references, redacted session
logs), operations (apply/verify/remove with the ownership rule), wirecheck (packets on the collector's
port), registry (switches and sessions in the store)."""
