"""RTP/RTCP recognition and the stream state kept for each media flow."""
