import django_filters
from django.utils.translation import gettext_lazy as _

from marketing.filters import TenantFilterSet

from .models import KIND_LABELS, Channel, Message, Status


def _kind_choices():
    return [(k, str(v)) for k, v in KIND_LABELS.items()]


class MessageFilter(TenantFilterSet):
    # Default (empty): what needs attention -- failed, unconfirmed, pending, sending.
    status = django_filters.ChoiceFilter(label=_("状态"), choices=[("all", _("全部（含已发送）")), *Status.choices],
                                         method="by_status", empty_label=_("未成功发送的"))
    channel = django_filters.ChoiceFilter(label=_("渠道"), choices=Channel.choices)
    kind = django_filters.ChoiceFilter(label=_("类型"), choices=_kind_choices)
    q = django_filters.CharFilter(label=_("收件人/标题"), method="search")
    since = django_filters.DateFilter(label=_("起始日期"), field_name="created_at", lookup_expr="date__gte")

    class Meta:
        model = Message
        fields = ["status", "channel", "kind", "q", "since"]

    def by_status(self, queryset, name, value):
        return queryset if value == "all" else queryset.filter(status=value)

    def filter_queryset(self, queryset):
        queryset = super().filter_queryset(queryset)
        if not self.form.cleaned_data.get("status"):
            queryset = queryset.exclude(status=Status.SENT)
        return queryset

    def search(self, queryset, name, value):
        from django.db.models import Q

        return queryset.filter(Q(to_address__icontains=value) | Q(subject__icontains=value))
