"""Soak test: the VMS's real processes over many minutes of seeded faults, then checks that nothing was lost."""
