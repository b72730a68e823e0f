"""SIP (RFC 3261) messages, SDP (RFC 4566/8866) bodies, TCP framing and the call table."""
