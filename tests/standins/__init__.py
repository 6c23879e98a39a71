"""Stand-ins for the outside world in tests and benchmarks: generated clips, RTSP cameras, dead networks."""
