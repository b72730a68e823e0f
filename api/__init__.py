"""REST API, live alert stream and dashboard (issue 5 and 7); reads and writes through `appliance`."""
