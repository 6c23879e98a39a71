"""Choices of the recordings models, as classes of constants."""

from django.db import models


class Tier(models.TextChoices):
    """Where a segment's bytes are: the hot tier (VMS_STORAGE_URL) or the cold one (VMS_COLD_STORAGE_URL)."""

    HOT = "hot", "Hot"
    COLD = "cold", "Cold"
