"""Forms and the board's filter for business trips (S003-04). Every choice is built from the
request's tenant and the member's reach."""

from __future__ import annotations

import django_filters
from django import forms
from django.utils.translation import gettext_lazy as _

from marketing.filters import TenantFilterSet, tenant_queryset
from marketing.models import Branch, User

from . import trips
from .models import Trip


class PersonChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj):
        return obj.display_name


class TripForm(forms.ModelForm):
    traveller = PersonChoiceField(label=_("出差人"), queryset=None)
    branch = forms.ModelChoiceField(label=_("分公司"), queryset=None, required=False)

    class Meta:
        model = Trip
        fields = ["traveller", "branch", "destination", "purpose", "start_date", "end_date", "checkins_per_day"]
        widgets = {
            "start_date": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
            "end_date": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
            "purpose": forms.Textarea(attrs={"rows": 3}),
        }
        help_texts = {"checkins_per_day": _("出差期间每天（含周末、节假日）应与公司联系、汇报业务进程的次数。")}

    def __init__(self, *args, membership, **kwargs):
        super().__init__(*args, **kwargs)
        # the option needs the key and the display name, not whole user rows
        self.fields["traveller"].queryset = trips.travellers_for(membership=membership).only(
            "pk", "full_name", "username")
        self.fields["branch"].queryset = trips.branches_of(membership=membership)
        self.fields["checkins_per_day"].widget = forms.Select(choices=Trip._meta.get_field("checkins_per_day").choices)
        if not self.instance.pk and not self.is_bound:
            self.initial.setdefault("traveller", membership.user_id)

    def clean(self):
        data = super().clean()
        start, end = data.get("start_date"), data.get("end_date")
        if start and end and end < start:
            self.add_error("end_date", _("返回日期不能早于出发日期。"))
        return data

    def service_data(self) -> dict:
        return {k: self.cleaned_data.get(k) for k in self.Meta.fields}


class CheckInForm(forms.Form):
    progress = forms.CharField(label=_("业务进展"), max_length=trips.PROGRESS_MAX,
                               widget=forms.Textarea(attrs={"rows": 3}))
    location = forms.CharField(label=_("所在地点"), max_length=trips.LOCATION_MAX, required=False)


class TripBoardFilter(TenantFilterSet):
    day = django_filters.DateFilter(label=_("日期"), method="on_day",
                                    widget=forms.DateInput(attrs={"type": "date"}))
    branch = django_filters.ModelChoiceFilter(label=_("分公司"), queryset=tenant_queryset(Branch),
                                              empty_label=_("全部"))
    traveller = django_filters.ModelChoiceFilter(label=_("出差人"), queryset=None, empty_label=_("全部"))

    class Meta:
        model = Trip
        fields = ["day", "branch", "traveller"]

    def __init__(self, *args, tenant, membership, **kwargs):
        super().__init__(*args, tenant=tenant, **kwargs)
        self.filters["traveller"].queryset = User.objects.filter(
            pk__in=trips.visible_trips(membership=membership).values("traveller_id")).order_by("full_name").only(
            "pk", "full_name", "username")
        self.filters["branch"].queryset = trips.branches_of(membership=membership)

    def on_day(self, queryset, name, value):
        return trips.on_trip_on(queryset, value)
