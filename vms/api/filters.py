"""Query filters that refuse what they cannot read: a filter given a value it cannot use is a 400, never ignored
(a list that silently drops a filter shows the wrong things) and never a 500 from the database.

django-filter on its own skips an empty value (`?until=`), reads anything but true/false as "no filter" for a
boolean (`?enabled=-2.2e-313`), and passes integers PostgreSQL cannot hold on to the query. Every FilterSet of
the API derives from StrictFilterSet; StrictFilterBackend, the API's filter backend, refuses any other."""

from __future__ import annotations

import django_filters
from django import forms
from django.core.exceptions import ImproperlyConfigured
from django.db import models
from django_filters import rest_framework

# The largest value of PostgreSQL's bigint, the type of every id and counter column.
BIGINT_MAX = 2**63 - 1
BOOLEANS = ("true", "false")


def why_unreadable(field: forms.Field, raw: str, value: object) -> str | None:
    """Why a filter's form field cannot use the raw query value (already cleaned into `value`); None if it can."""
    if raw == "" and not isinstance(field, forms.CharField):
        return "Give this filter a value, or leave it out."
    if isinstance(field, forms.NullBooleanField) and raw not in BOOLEANS:
        return "Either true or false."
    if isinstance(field, forms.IntegerField) and value is not None and not -BIGINT_MAX <= value <= BIGINT_MAX:
        return f"Out of range (at most {BIGINT_MAX} either side of 0)."
    return None


class IdFilter(django_filters.NumberFilter):
    """A whole number such as an id (django-filter's NumberFilter takes decimals: 1.5 would match nothing)."""

    field_class = forms.IntegerField


class StrictFilterForm(forms.Form):
    def clean(self) -> dict:
        cleaned = super().clean()
        for name, field in self.fields.items():
            raw = self.data.get(self.add_prefix(name))
            if raw is not None and name not in self.errors:
                reason = why_unreadable(field, raw, cleaned.get(name))
                if reason:
                    self.add_error(name, reason)
        return cleaned


class StrictFilterSet(rest_framework.FilterSet):
    """The base of every FilterSet of the API: its form refuses values the filters cannot use.

    A related object (?camera=, ?rule=) is filtered by its id as a plain number: django-filter's default checks
    that the object exists and refuses an unknown id, which told anyone whether a camera they may not see exists."""

    FILTER_DEFAULTS = {
        **rest_framework.FilterSet.FILTER_DEFAULTS,
        models.ForeignKey: {"filter_class": IdFilter},
        models.OneToOneField: {"filter_class": IdFilter},
    }

    def get_form_class(self) -> type[forms.Form]:
        return type(f"Strict{self.__class__.__name__}Form", (StrictFilterForm, super().get_form_class()), {})


class IpAddressFilter(django_filters.CharFilter):
    """An IPv4 or IPv6 address (PostgreSQL refuses to compare an inet column with anything else: a 500)."""

    field_class = forms.GenericIPAddressField


class StrictFilterBackend(rest_framework.DjangoFilterBackend):
    """DjangoFilterBackend over StrictFilterSets only (`filterset_fields` get one too)."""

    filterset_base = StrictFilterSet

    def get_filterset_class(self, view, queryset=None):
        filterset_class = super().get_filterset_class(view, queryset)
        if filterset_class is not None and not issubclass(filterset_class, StrictFilterSet):
            raise ImproperlyConfigured(f"{filterset_class.__name__} of {view.__class__.__name__} must derive from "
                                       "vms.api.filters.StrictFilterSet, so that it refuses values it cannot read.")
        return filterset_class
